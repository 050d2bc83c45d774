//! `Context`.

use crate::api::{run, script_source};
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::ops::{self, Mode};
use crate::transfer::{TransferOptions, Transferable};

/// `contextGlobal(context)`: the `global` Reference, or undefined once released.
pub fn global(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  match handle.context() {
    Ok(context) => front.ret(Transferable::Reference(context.global.clone())),
    Err(_) => front.ret(Transferable::Undefined),
  }
}

/// `contextEval(context, mode, code, timeout, filename, lineOffset, columnOffset, transfer)`
pub fn eval(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let context = front.handle(0)?.context()?;
    let source = script_source(front, 2, 4, None)?;
    let timeout = front.number(3)? as u32;
    let transfer = TransferOptions::from_bits(front.number(7)? as u32);
    Ok(ops::context::eval(context, source, timeout, transfer))
  })
}

/// `contextEvalClosure(context, mode, code, arguments, timeout, filename, lineOffset,
/// columnOffset, argumentsTransfer, resultTransfer)`
pub fn eval_closure(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let context = front.handle(0)?.context()?;
    let source = script_source(front, 2, 5, None)?;
    let arguments_transfer = TransferOptions::from_bits(front.number(8)? as u32);
    let arguments = front.transferable_list(3, arguments_transfer)?;
    let timeout = front.number(4)? as u32;
    let transfer = TransferOptions::from_bits(front.number(9)? as u32);
    Ok(ops::context::eval_closure(context, source, arguments, timeout, transfer))
  })
}

/// `contextRelease(context)`: true if this call released it.
pub fn release(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  let released = match &*handle {
    crate::transfer::handle::Handle::Context(data) => data.release().is_some(),
    _ => return Err(Error::illegal_invocation()),
  };
  front.ret(Transferable::Bool(released))
}
