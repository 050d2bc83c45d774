//! `Reference` (and the `Dereference` objects `derefInto()` returns).

use std::sync::Arc;

use crate::api::{parameters, run};
use crate::error::{msg, Error, Result};
use crate::ops::front::Front;
use crate::ops::reference::Key;
use crate::ops::{self, Mode, Realm};
use crate::transfer::handle::{Handle, Releasable};
use crate::transfer::{RefData, RefTarget, TransferOptions, TransferType, Transferable};

parameters!(reference_at: reference);
/// The referenced value's data: every `reference*` function takes the reference first.
fn data(front: &mut dyn Front) -> Result<Arc<RefData>> {
  front.handle(reference_at::reference)?.reference()?.get()
}

fn is_in_realm(data: &RefData, realm: &Realm) -> bool {
  match (&data.target, realm) {
    (RefTarget::Isolate { value, .. }, Realm::Isolate(core)) => value.core.id == core.id,
    (RefTarget::Node(node), Realm::Node(env)) => node.env.id == env.id,
    _ => false,
  }
}

/// `referenceIsHere`: whether the referenced value is of the caller's world, where `deref()`
/// gives it (an out-of-process isolate, lib/remote/, is given References to those only).
pub fn is_here(front: &mut dyn Front) -> Result<()> {
  let data = data(front)?;
  let here = is_in_realm(&data, &front.realm());
  front.ret(Transferable::Bool(here))
}

/// `referenceInherits`: whether it was made with `unsafeInherit` (a Reference given to an
/// out-of-process isolate keeps it there).
pub fn inherits(front: &mut dyn Front) -> Result<()> {
  let inherit = data(front)?.inherit;
  front.ret(Transferable::Bool(inherit))
}

parameters!(new_at: instance, value, unsafeInherit);
/// `referenceNew`
pub fn new(front: &mut dyn Front) -> Result<()> {
  let inherit = front.boolean(new_at::unsafeInherit)?;
  let data = front.reference(new_at::value, inherit)?;
  front.bind(new_at::instance, Handle::Reference(Releasable::new(data, msg::REFERENCE_RELEASED)))
}

/// `referenceTypeof`
pub fn type_of(front: &mut dyn Front) -> Result<()> {
  let data = data(front)?;
  front.ret(Transferable::string(data.type_of.as_str()))
}

parameters!(deref_at: reference, release);
/// `referenceDeref`: the value itself, in its own world.
pub fn deref(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(deref_at::reference)?;
  let releasable = handle.reference()?;
  let data = releasable.get()?;
  if !is_in_realm(&data, &front.realm()) {
    return Err(Error::type_error("Cannot dereference this from current isolate"));
  }
  if front.boolean(deref_at::release)? {
    releasable.release();
  }
  front.ret(Transferable::Dereference(data))
}

/// `referenceDerefInto`: an object that becomes the value when passed to the value's own world.
pub fn deref_into(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(deref_at::reference)?;
  let releasable = handle.reference()?;
  let data = releasable.get()?;
  if front.boolean(deref_at::release)? {
    releasable.release();
  }
  front.ret(Transferable::DereferenceHandle(data))
}

/// `referenceRelease`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(reference_at::reference)?.reference()?.release_held()?;
  front.ret(Transferable::Undefined)
}

parameters!(get_at: reference, mode, key, accessors, transfer);
/// `referenceGet`
pub fn get(front: &mut dyn Front) -> Result<()> {
  use get_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(at::key, TransferOptions::NONE)?)?;
    let accessors = front.boolean(at::accessors)?;
    let transfer = TransferOptions::from_bits(front.number(at::transfer)? as u32);
    ops::reference::get(&data, key, accessors, transfer)
  })
}

parameters!(set_at: reference, mode, key, value, transfer);
/// `referenceSet`
pub fn set(front: &mut dyn Front) -> Result<()> {
  use set_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(at::key, TransferOptions::NONE)?)?;
    let transfer = TransferOptions::from_bits(front.number(at::transfer)? as u32);
    let value = front.transfer_out(at::value, transfer)?;
    ops::reference::set(&data, key, value)
  })
}

parameters!(delete_at: reference, mode, key);
/// `referenceDelete`
pub fn delete(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(delete_at::mode)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(delete_at::key, TransferOptions::NONE)?)?;
    ops::reference::delete(&data, key)
  })
}

parameters!(apply_at: reference, mode, receiver, arguments, timeout, argumentsTransfer, resultTransfer);
/// `referenceApply`
pub fn apply(front: &mut dyn Front) -> Result<()> {
  use apply_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let receiver = front.transfer_out(at::receiver, TransferOptions::NONE)?;
    let arguments_transfer = TransferOptions::from_bits(front.number(at::argumentsTransfer)? as u32);
    let arguments = front.transferable_list(at::arguments, arguments_transfer)?;
    let timeout = front.number(at::timeout)? as u32;
    let mut result = TransferOptions::from_bits(front.number(at::resultTransfer)? as u32).with_fallback(TransferType::Reference);
    // `applySyncPromise` waits for a promise returned by a Node function.
    result.promise |= mode == Mode::SyncPromise && matches!(data.target, RefTarget::Node(_));
    Ok(ops::reference::apply(&data.target, receiver, arguments, timeout, result))
  })
}

parameters!(copy_at: reference, mode);
/// `referenceCopy`: a copy of the referenced value, rebuilt in the caller's world.
pub fn copy(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(copy_at::mode)?);
  run(front, mode, |front| Ok(ops::reference::copy(&data(front)?)))
}
