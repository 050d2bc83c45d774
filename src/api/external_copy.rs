//! `ExternalCopy` (and the objects `copyInto()` returns).

use std::sync::Arc;

use parking_lot::Mutex;

use crate::api::parameters;
use crate::error::{msg, Error, Result};
use crate::ops::front::Front;
use crate::transfer::buffer::Bytes;
use crate::transfer::copy::{total_external_size, CopyData, Payload, Serialized, View, ViewKind};
use crate::transfer::handle::{Handle, Releasable};
use crate::transfer::{TransferOptions, TransferType, Transferable};

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

// Out-of-process isolates (lib/remote/codec.js) move copies between processes as the parts
// below, which hold the copy's own bytes: what crosses is exactly what our V8 wrote, rebuilt by
// the same code on the other side.

parameters!(export_at: copy, transferIn);
/// `externalCopyExport`: the parts of an ExternalCopy, or of what `copyInto()` gave, that
/// `externalCopyImport(...parts)` makes a copy of again: `[0, primitive]`, `[1, buffer]` or
/// `[1, buffer, undefined, viewKind, byteOffset, byteLength]` (the whole buffer of a view), or
/// `[2, bytes, transferred]` (the value in V8's format and the ArrayBuffers of its transfer list).
/// With `transferIn` true (it may be left out), the buffers are moved out of the copy, which is
/// then invalid, as when `copyInto({ transferIn: true })` is given to an isolate of this process.
pub fn export(front: &mut dyn Front) -> Result<()> {
  let data = match &*front.handle(export_at::copy)? {
    Handle::ExternalCopy(data) | Handle::CopyInto { data, .. } => data.get()?,
    _ => return Err(Error::illegal_invocation()),
  };
  let take = !front.is_nullish(export_at::transferIn) && front.boolean(export_at::transferIn)?;
  front.ret(Transferable::List(exported(&data, take)?))
}

fn exported(data: &CopyData, take: bool) -> Result<Vec<Transferable>> {
  Ok(match &data.payload {
    Payload::Primitive(value) => vec![Transferable::Number(0.0), value.clone()],
    Payload::Buffer { bytes, view } => {
      let mut parts = vec![Transferable::Number(1.0), array_buffer(moved_or_copied(&mut bytes.lock(), take)?)];
      if let Some(view) = view {
        let (offset, length) = (view.byte_offset as f64, view.byte_length as f64);
        parts.extend([
          Transferable::Undefined,
          Transferable::string(view.kind.name()),
          Transferable::Number(offset),
          Transferable::Number(length),
        ]);
      }
      parts
    }
    // Memory of this process cannot be in another.
    Payload::Serialized(serialized) if !serialized.wasm.is_empty() => return Err(not_crossing("A WebAssembly.Module")),
    Payload::Serialized(serialized) if serialized.shared.is_empty() => {
      let mut buffers = serialized.buffers.lock();
      // All or none: where one was moved away already, the others stay.
      buffers.iter().try_for_each(|bytes| valid(bytes.as_ref()).map(drop))?;
      let transferred = buffers.iter_mut().map(|bytes| moved_or_copied(bytes, take).map(array_buffer)).collect::<Result<_>>()?;
      let mut parts = vec![Transferable::Number(2.0), array_buffer(Bytes::copy_of(&serialized.bytes)), Transferable::List(transferred)];
      // Its isolated-vm objects, which lib/remote/codec.js sends as it sends any (as forwarders).
      if !serialized.handles.is_empty() {
        parts.extend([
          Transferable::Undefined,
          Transferable::Undefined,
          Transferable::Undefined,
          Transferable::List(serialized.handles.clone()),
        ]);
      }
      parts
    }
    Payload::Serialized(_) | Payload::Shared { .. } => return Err(not_crossing("A SharedArrayBuffer")),
  })
}

fn not_crossing(what: &str) -> Error {
  Error::type_error(format!("{what} in a copy could not be cloned into an out-of-process isolate"))
}

/// The bytes of a buffer not moved away.
fn valid(bytes: Option<&Bytes>) -> Result<&Bytes> {
  bytes.ok_or_else(|| Error::generic("Array buffer is invalid"))
}

/// The bytes of a buffer not moved away: moved out with `take`, else copied.
fn moved_or_copied(bytes: &mut Option<Bytes>, take: bool) -> Result<Bytes> {
  let held = if take { bytes.take() } else { bytes.as_ref().map(|bytes| Bytes::copy_of(bytes.as_slice())) };
  held.ok_or_else(|| Error::generic("Array buffer is invalid"))
}

/// A new ArrayBuffer of the caller's world holding `bytes`.
fn array_buffer(bytes: Bytes) -> Transferable {
  let data = CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(bytes)), view: None });
  // The only holder of that copy: its memory moves into the new ArrayBuffer.
  Transferable::Copy { data, transfer_in: true }
}

parameters!(import_at: kind, value, transferred, viewKind, byteOffset, byteLength, handles);
/// `externalCopyImport`: a new ExternalCopy of the parts `externalCopyExport` gave.
pub fn import(front: &mut dyn Front) -> Result<()> {
  let data = match front.number(import_at::kind)? as u32 {
    0 => front.copy(import_at::value, false, None)?,
    1 => {
      let bytes = buffer_part(front, import_at::value)?;
      let view = view_part(front, bytes.len())?;
      CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(Bytes::copy_of(&bytes))), view })
    }
    2 => {
      let bytes = buffer_part(front, import_at::value)?;
      let copies = TransferOptions { kind: TransferType::Copy, ..TransferOptions::NONE };
      let buffers = front.transferable_list(import_at::transferred, copies)?.into_iter().map(transferred_part).collect::<Result<_>>()?;
      let handles = if front.is_nullish(import_at::handles) {
        Vec::new()
      } else {
        front.transferable_list(import_at::handles, TransferOptions::NONE)?
      };
      CopyData::new(Payload::Serialized(Serialized { bytes, buffers: Mutex::new(buffers), shared: Vec::new(), wasm: Vec::new(), handles }))
    }
    _ => return Err(not_exported()),
  };
  front.ret(Transferable::ExternalCopy(data))
}

fn buffer_part(front: &mut dyn Front, index: usize) -> Result<Vec<u8>> {
  front.copy(index, false, None)?.array_buffer_bytes().ok_or_else(not_exported)
}

fn transferred_part(part: Transferable) -> Result<Option<Bytes>> {
  match part {
    Transferable::Copy { data, .. } => data.array_buffer_bytes().map(|bytes| Some(Bytes::copy_of(&bytes))).ok_or_else(not_exported),
    _ => Err(not_exported()),
  }
}

/// The view over a buffer of `len` bytes, checked: a view past its buffer cannot be made.
fn view_part(front: &mut dyn Front, len: usize) -> Result<Option<View>> {
  if front.is_nullish(import_at::viewKind) {
    return Ok(None);
  }
  let kind = ViewKind::from_name(&front.string(import_at::viewKind)?.to_string_lossy()).ok_or_else(not_exported)?;
  let (byte_offset, byte_length) = (front.number(import_at::byteOffset)? as usize, front.number(import_at::byteLength)? as usize);
  let aligned = byte_offset % kind.element_size() == 0 && byte_length % kind.element_size() == 0;
  if !aligned || byte_offset.checked_add(byte_length).is_none_or(|end| end > len) {
    return Err(not_exported());
  }
  Ok(Some(View { kind, byte_offset, byte_length }))
}

fn not_exported() -> Error {
  Error::type_error("`externalCopyImport` requires the parts `externalCopyExport` gave")
}
