//! `ExternalCopy` (and the objects `copyInto()` returns).

use std::sync::Arc;

use crate::api::parameters;
use crate::error::{msg, Result};
use crate::ops::front::Front;
use crate::transfer::copy::{total_external_size, CopyData};
use crate::transfer::handle::{Handle, Releasable};
use crate::transfer::Transferable;

parameters!(new_at: instance, value, transferOut, transferList);
/// `externalCopyNew`
pub fn new(front: &mut dyn Front) -> Result<()> {
  let transfer_out = front.boolean(new_at::transferOut)?;
  let data = front.copy(new_at::value, transfer_out, Some(new_at::transferList))?;
  front.bind(new_at::instance, Handle::ExternalCopy(Releasable::new(data, msg::COPY_RELEASED)))
}

parameters!(total_size_at:);
/// `externalCopyTotalSize`
pub fn total_size(front: &mut dyn Front) -> Result<()> {
  front.ret(Transferable::Number(total_external_size() as f64))
}

/// `externalCopyCopy`: the value, rebuilt in the caller's world.
pub fn copy(front: &mut dyn Front) -> Result<()> {
  let (data, transfer_in) = copy_arguments(front)?;
  front.ret(Transferable::Copy { data, transfer_in })
}

/// `externalCopyCopyInto`: an object that becomes the value when passed to another world.
pub fn copy_into(front: &mut dyn Front) -> Result<()> {
  let (data, transfer_in) = copy_arguments(front)?;
  front.ret(Transferable::CopyIntoHandle { data, transfer_in })
}

parameters!(copy_at: copy, release, transferIn);
/// The copy and `transferIn` of `copy` / `copyInto`, releasing the handle if asked.
fn copy_arguments(front: &mut dyn Front) -> Result<(Arc<CopyData>, bool)> {
  let handle = front.handle(copy_at::copy)?;
  let releasable = handle.external_copy()?;
  let data = releasable.get()?;
  let transfer_in = front.boolean(copy_at::transferIn)?;
  if front.boolean(copy_at::release)? {
    releasable.release();
  }
  Ok((data, transfer_in))
}

parameters!(release_at: copy);
/// `externalCopyRelease`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(release_at::copy)?.external_copy()?.release_held()?;
  front.ret(Transferable::Undefined)
}
