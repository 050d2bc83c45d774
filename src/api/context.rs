//! `Context`.

use crate::api::{parameters, run, script_source, source_at};
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::ops::{self, Mode};
use crate::transfer::{TransferOptions, Transferable};

parameters!(global_at: context);
/// `contextGlobal`: the `global` Reference, or undefined once released.
pub fn global(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(global_at::context)?;
  match handle.context() {
    Ok(context) => front.ret(Transferable::Reference(context.global.clone())),
    Err(_) => front.ret(Transferable::Undefined),
  }
}

parameters!(eval_at: context, mode, code, timeout, filename, lineOffset, columnOffset, transfer);
/// `contextEval`
pub fn eval(front: &mut dyn Front) -> Result<()> {
  use eval_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let context = front.handle(at::context)?.context()?;
    let source = script_source(front, source_at!(at))?;
    let timeout = front.number(at::timeout)? as u32;
    let transfer = TransferOptions::from_bits(front.number(at::transfer)? as u32);
    Ok(ops::context::eval(context, source, timeout, transfer))
  })
}

parameters!(eval_closure_at: context, mode, code, arguments, timeout, filename, lineOffset, columnOffset, argumentsTransfer, resultTransfer);
/// `contextEvalClosure`
pub fn eval_closure(front: &mut dyn Front) -> Result<()> {
  use eval_closure_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let context = front.handle(at::context)?.context()?;
    let source = script_source(front, source_at!(at))?;
    let arguments_transfer = TransferOptions::from_bits(front.number(at::argumentsTransfer)? as u32);
    let arguments = front.transferable_list(at::arguments, arguments_transfer)?;
    let timeout = front.number(at::timeout)? as u32;
    let transfer = TransferOptions::from_bits(front.number(at::resultTransfer)? as u32);
    Ok(ops::context::eval_closure(context, source, arguments, timeout, transfer))
  })
}

parameters!(release_at: context);
/// `contextRelease`: true if this call released it.
pub fn release(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(release_at::context)?;
  let released = match &*handle {
    crate::transfer::handle::Handle::Context(data) => data.release().is_some(),
    _ => return Err(Error::illegal_invocation()),
  };
  front.ret(Transferable::Bool(released))
}
