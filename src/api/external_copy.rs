//! `ExternalCopy` (and the objects `copyInto()` returns).

use std::sync::Arc;

use crate::error::{msg, Result};
use crate::ops::front::Front;
use crate::transfer::copy::{total_external_size, CopyData};
use crate::transfer::handle::{Handle, Releasable};
use crate::transfer::Transferable;

/// `externalCopyNew(instance, value, transferOut, transferList)`
pub fn new(front: &mut dyn Front) -> Result<()> {
  let transfer_out = front.boolean(2)?;
  let data = front.copy(1, transfer_out, Some(3))?;
  front.bind(0, Handle::ExternalCopy(Releasable::new(data, msg::COPY_RELEASED)))
}

/// `externalCopyTotalSize()`
pub fn total_size(front: &mut dyn Front) -> Result<()> {
  front.ret(Transferable::Number(total_external_size() as f64))
}

/// `externalCopyCopy(copy, release, transferIn)`: the value, rebuilt in the caller's world.
pub fn copy(front: &mut dyn Front) -> Result<()> {
  let (data, transfer_in) = copy_arguments(front)?;
  front.ret(Transferable::Copy { data, transfer_in })
}

/// `externalCopyCopyInto(copy, release, transferIn)`: an object that becomes the value when
/// passed to another world.
pub fn copy_into(front: &mut dyn Front) -> Result<()> {
  let (data, transfer_in) = copy_arguments(front)?;
  front.ret(Transferable::CopyIntoHandle { data, transfer_in })
}

/// The copy and `transferIn` of `copy` / `copyInto`, releasing the handle if asked.
fn copy_arguments(front: &mut dyn Front) -> Result<(Arc<CopyData>, bool)> {
  let handle = front.handle(0)?;
  let releasable = handle.external_copy()?;
  let data = releasable.get()?;
  let transfer_in = front.boolean(2)?;
  if front.boolean(1)? {
    releasable.release();
  }
  Ok((data, transfer_in))
}

/// `externalCopyRelease(copy)`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(0)?.external_copy()?.release_held()?;
  front.ret(Transferable::Undefined)
}
