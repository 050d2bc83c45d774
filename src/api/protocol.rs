//! What the facade and the binding must agree on besides the functions' names, declared once,
//! here: the numbers of the call modes, of the transfer options' bits and of the classes. The
//! facade reads them from `binding.protocol()` when it starts and refuses to start if one it
//! needs is missing or one it does not know is declared (lib/facade.js), so the two cannot drift.

use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::Mode;
use crate::transfer::handle::Kind;
use crate::transfer::{options, Transferable};

fn table(entries: impl IntoIterator<Item = (&'static str, u32)>) -> Transferable {
  Transferable::Record(entries.into_iter().map(|(name, number)| (name, Transferable::Number(number as f64))).collect())
}

/// `protocol()`: `{ modes, transfer, classes }`, each an object of names to numbers.
pub fn protocol(front: &mut dyn Front) -> Result<()> {
  front.ret(Transferable::Record(vec![
    ("modes", table(Mode::ALL.map(|(name, mode)| (name, mode as u32)))),
    ("transfer", table(options::BITS)),
    ("classes", table(Kind::ALL.map(|(name, kind)| (name, kind as u32)))),
  ]))
}
