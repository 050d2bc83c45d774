//! Calling a function of another world through a Callback.
//!
//! A Callback arrives in a world as a plain function. Calling it copies the arguments (as
//! ExternalCopy would, all together as one array: what they share stays shared, as in the
//! original), calls the original function in its own world with `this` undefined, and copies the
//! result back; in async mode the caller gets a promise, in ignored mode undefined.
//! The functions themselves are made by the front-ends (src/node/callback.rs, src/inner/callback.rs).

use super::reference::{self, Arguments};
use super::{dispatch, Mode};
use crate::error::Result;
use crate::ops::front::Front;
use crate::transfer::{CallMode, CallbackData, TransferOptions, TransferType, Transferable};

const COPY: TransferOptions = TransferOptions { kind: TransferType::Copy, fallback: TransferType::None, promise: false };

/// Invokes the callback with the caller's arguments, in the callback's mode.
pub fn invoke(front: &mut dyn Front, data: &CallbackData) -> Result<()> {
  let arguments = arguments(front)?;
  let result = if data.mode == CallMode::Ignored { TransferOptions::NONE } else { COPY };
  let work = reference::apply(&data.function, Transferable::Undefined, arguments, 0, result);
  let mode = match data.mode {
    CallMode::Sync => Mode::Sync,
    CallMode::Async => Mode::Async,
    CallMode::Ignored => Mode::Ignored,
  };
  dispatch(front, mode, work)
}

/// The caller's arguments, copied together; where they are all primitives (most calls), each on
/// its own, which is the same and faster.
fn arguments(front: &mut dyn Front) -> Result<Arguments> {
  let mut each = Vec::with_capacity(front.argc());
  for index in 0..front.argc() {
    match front.primitive(index)? {
      Some(primitive) => each.push(primitive.into()),
      None => return Ok(Arguments::Together(front.copy_arguments()?)),
    }
  }
  Ok(Arguments::Each(each))
}
