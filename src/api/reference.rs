//! `Reference` (and the `Dereference` objects `derefInto()` returns).

use std::sync::Arc;

use crate::api::run;
use crate::error::{msg, Error, Result};
use crate::ops::front::Front;
use crate::ops::reference::Key;
use crate::ops::{self, Mode, Realm};
use crate::transfer::handle::{Handle, Releasable};
use crate::transfer::{RefData, RefTarget, TransferOptions, TransferType, Transferable};

fn data(front: &mut dyn Front) -> Result<Arc<RefData>> {
  front.handle(0)?.reference()?.get()
}

fn is_in_realm(data: &RefData, realm: &Realm) -> bool {
  match (&data.target, realm) {
    (RefTarget::Isolate { value, .. }, Realm::Isolate(core)) => value.core.id == core.id,
    (RefTarget::Node(node), Realm::Node(env)) => node.env.id == env.id,
    _ => false,
  }
}

/// `referenceNew(instance, value, unsafeInherit)`
pub fn new(front: &mut dyn Front) -> Result<()> {
  let inherit = front.boolean(2)?;
  let data = front.reference(1, inherit)?;
  front.bind(0, Handle::Reference(Releasable::new(data, msg::REFERENCE_RELEASED)))
}

/// `referenceTypeof(reference)`
pub fn type_of(front: &mut dyn Front) -> Result<()> {
  let data = data(front)?;
  front.ret(Transferable::string(data.type_of.as_str()))
}

/// `referenceDeref(reference, release)`: the value itself, in its own world.
pub fn deref(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  let releasable = handle.reference()?;
  let data = releasable.get()?;
  if !is_in_realm(&data, &front.realm()) {
    return Err(Error::type_error("Cannot dereference this from current isolate"));
  }
  if front.boolean(1)? {
    releasable.release();
  }
  front.ret(Transferable::Dereference(data))
}

/// `referenceDerefInto(reference, release)`: an object that becomes the value when passed to
/// the value's own world.
pub fn deref_into(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  let releasable = handle.reference()?;
  let data = releasable.get()?;
  if front.boolean(1)? {
    releasable.release();
  }
  front.ret(Transferable::DereferenceHandle(data))
}

/// `referenceRelease(reference)`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(0)?.reference()?.release_held()?;
  front.ret(Transferable::Undefined)
}

/// `referenceGet(reference, mode, key, accessors, transfer)`
pub fn get(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(2, TransferOptions::NONE)?)?;
    let accessors = front.boolean(3)?;
    let transfer = TransferOptions::from_bits(front.number(4)? as u32);
    ops::reference::get(&data, key, accessors, transfer)
  })
}

/// `referenceSet(reference, mode, key, value, transfer)`
pub fn set(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(2, TransferOptions::NONE)?)?;
    let transfer = TransferOptions::from_bits(front.number(4)? as u32);
    let value = front.transferable(3, transfer)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))?;
    ops::reference::set(&data, key, value)
  })
}

/// `referenceDelete(reference, mode, key)`
pub fn delete(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let key = Key::from_transferable(front.transferable(2, TransferOptions::NONE)?)?;
    ops::reference::delete(&data, key)
  })
}

/// `referenceApply(reference, mode, receiver, arguments, timeout, argumentsTransfer,
/// resultTransfer)`
pub fn apply(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = data(front)?;
    let receiver = front.transferable(2, TransferOptions::NONE)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))?;
    let arguments_transfer = TransferOptions::from_bits(front.number(5)? as u32);
    let arguments = front.transferable_list(3, arguments_transfer)?;
    let timeout = front.number(4)? as u32;
    let mut result = TransferOptions::from_bits(front.number(6)? as u32).with_fallback(TransferType::Reference);
    // `applySyncPromise` waits for a promise returned by a Node function.
    result.promise |= mode == Mode::SyncPromise && matches!(data.target, RefTarget::Node(_));
    Ok(ops::reference::apply(&data.target, receiver, arguments, timeout, result))
  })
}

/// `referenceCopy(reference, mode)`: a copy of the referenced value, rebuilt in the caller's world.
pub fn copy(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| Ok(ops::reference::copy(&data(front)?)))
}
