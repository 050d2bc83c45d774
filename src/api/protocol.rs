//! What the facade and the binding must agree on besides the functions' names, declared once,
//! here: the numbers of the call modes, of the callback modes, of the transfer options' bits and
//! of the classes, and each binding function's parameters in order (declared by `parameters!`
//! beside the function). The facade reads the numbers from `binding.protocol()` when it starts
//! and refuses to start if one it needs is missing or one it does not know is declared
//! (lib/facade/checks.js), so the two cannot drift; test/protocol.test.js checks every call the
//! facade makes against the parameters.

use crate::api::{parameters, FUNCTIONS};
use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::Mode;
use crate::transfer::handle::Kind;
use crate::transfer::{options, CallMode, Transferable};

fn table(entries: impl IntoIterator<Item = (&'static str, u32)>) -> Transferable {
  Transferable::Record(entries.into_iter().map(|(name, number)| (name, Transferable::Number(number as f64))).collect())
}

parameters!(protocol_at:);
/// `protocol`: `{ modes, callbackModes, transfer, classes }`, each an object of names to numbers,
/// and `parameters`, the parameter names of each binding function by its name.
pub fn protocol(front: &mut dyn Front) -> Result<()> {
  let names = |names: &[&str]| Transferable::List(names.iter().map(|name| Transferable::string(name)).collect());
  front.ret(Transferable::Record(vec![
    ("modes", table(Mode::ALL.map(|(name, mode)| (name, mode as u32)))),
    ("callbackModes", table(CallMode::ALL.map(|(name, mode)| (name, mode as u32)))),
    ("transfer", table(options::BITS)),
    ("classes", table(Kind::ALL.map(|(name, kind)| (name, kind as u32)))),
    ("parameters", Transferable::Record(FUNCTIONS.iter().map(|binding| (binding.name, names(binding.parameters))).collect())),
  ]))
}
