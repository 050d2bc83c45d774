//! Copies of host values, and copies rebuilt in the host.
//!
//! Host values are written in our V8's serialization format by lib/clone.js; this side turns
//! what it returns into `CopyData`, moving and sharing the buffers, and rebuilds copies in the
//! host (`super::clone`).

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::{Arc, OnceLock, Weak};

use napi::sys;
use parking_lot::Mutex;

use super::convert;
use crate::error::{Error, Result};
use crate::host::napi::{call, Napi, Value};
use crate::host::{NodeEnv, NodeRef};
use crate::transfer::buffer::{Bytes, Pointer, SharedMemory};
use crate::transfer::copy::{CopyData, Payload, Serialized, View, ViewKind};
use crate::transfer::{TransferType, Transferable};

/// The host helpers of lib/host.js, as registered by `binding.setupHost`.
pub fn host(napi: Napi, name: &str) -> Result<Value> {
  let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  let host = env.state.lock().host.as_ref().map(|host| host.get(napi)).transpose()?;
  let host = host.ok_or_else(|| Error::generic("isolated-vm: the host helpers are not set up"))?;
  napi.get_named(host, name)
}

/// `copy: true` / `externalCopy: true` of a Node value.
pub fn copy_out(napi: Napi, value: Value, kind: TransferType) -> Result<Transferable> {
  let data = copy_from_napi(napi, value, false, None)?;
  Ok(match kind {
    TransferType::ExternalCopy => Transferable::ExternalCopy(data),
    _ => Transferable::Copy { data, transfer_in: false },
  })
}

fn arraybuffer_info(napi: Napi, buffer: Value) -> Result<(*mut u8, usize)> {
  let mut data = null_mut();
  let mut len = 0usize;
  call!(napi, napi_get_arraybuffer_info(buffer, &mut data, &mut len))?;
  Ok((data.cast(), len))
}

fn typedarray_data(napi: Napi, view: Value) -> Result<(*mut u8, usize)> {
  let mut kind = 0;
  let mut len = 0usize;
  let mut data = null_mut();
  call!(napi, napi_get_typedarray_info(view, &mut kind, &mut len, &mut data, null_mut(), null_mut()))?;
  Ok((data.cast(), len))
}

fn env() -> Result<Arc<NodeEnv>> {
  NodeEnv::current().ok_or_else(NodeEnv::gone_error)
}

/// Moves a host ArrayBuffer's memory out (the buffer is detached): one of ours goes back to us,
/// any other is moved by lib/host.js to a host ArrayBuffer nobody else can reach.
pub fn take_buffer(napi: Napi, buffer: Value) -> Result<Bytes> {
  let mut detached = false;
  call!(napi, napi_is_detached_arraybuffer(buffer, &mut detached))?;
  if detached {
    return Err(Error::generic("Array buffer is invalid"));
  }
  if let Some(bytes) = take_external(napi, buffer)? {
    return Ok(bytes);
  }
  let moved = napi.call(napi.undefined()?, host(napi, "detach")?, &[buffer])?;
  let (data, len) = arraybuffer_info(napi, moved)?;
  Ok(Bytes::Node { owner: NodeRef::new(napi, &env()?, moved)?, data: Pointer(data), len })
}

/// Node ArrayBuffers over memory we hold (see `buffer_to_napi`), by address. Node does not
/// transfer such buffers (it copies them), so moving one back takes the memory back directly.
fn externals() -> &'static Mutex<HashMap<usize, Weak<ExternalHolder>>> {
  static EXTERNALS: OnceLock<Mutex<HashMap<usize, Weak<ExternalHolder>>>> = OnceLock::new();
  EXTERNALS.get_or_init(Default::default)
}

/// What an external Node ArrayBuffer keeps alive; emptied when its memory is taken back.
struct ExternalHolder {
  bytes: Mutex<Option<Bytes>>,
  /// The address of the memory, its key in `externals`.
  data: usize,
}

impl Drop for ExternalHolder {
  /// The buffer was collected: forget it, unless its address is already a newer buffer's.
  fn drop(&mut self) {
    let mut map = externals().lock();
    if map.get(&self.data).is_some_and(|holder| std::ptr::eq(holder.as_ptr(), self)) {
      map.remove(&self.data);
    }
  }
}

fn take_external(napi: Napi, buffer: Value) -> Result<Option<Bytes>> {
  let (data, len) = arraybuffer_info(napi, buffer)?;
  if len == 0 {
    return Ok(None);
  }
  let Some(holder) = externals().lock().get(&(data as usize)).and_then(Weak::upgrade) else { return Ok(None) };
  let mut bytes = holder.bytes.lock();
  if bytes.is_some() {
    // Detached first: the buffer must not reach the memory once it is taken.
    call!(napi, napi_detach_arraybuffer(buffer))?;
  }
  Ok(bytes.take())
}

fn copied_bytes(napi: Napi, buffer: Value) -> Result<Bytes> {
  let (data, len) = arraybuffer_info(napi, buffer)?;
  // SAFETY: the buffer's `len` bytes, copied at once (no JavaScript runs meanwhile).
  let slice = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(data, len) } };
  Ok(Bytes::copy_of(slice))
}

/// The memory of a Node SharedArrayBuffer, given with a Uint8Array over all of it.
fn shared_memory(napi: Napi, buffer: Value, bytes: Value) -> Result<Arc<SharedMemory>> {
  let (data, len) = typedarray_data(napi, bytes)?;
  Ok(Arc::new(SharedMemory::Node { owner: NodeRef::new(napi, &env()?, buffer)?, data: Pointer(data), len }))
}

fn element(napi: Napi, array: Value, index: u32) -> Result<Value> {
  napi.get_element(array, index)
}

/// The view of a top-level buffer, given by lib/clone.js as `[.., .., .., name, offset, length]`.
fn view_of(napi: Napi, parts: Value) -> Result<Option<View>> {
  let name = element(napi, parts, 3)?;
  if napi.type_of(name)? != sys::ValueType::napi_string {
    return Ok(None);
  }
  let name = napi.get_string(name)?;
  let kind = ViewKind::from_name(&name).ok_or_else(|| Error::type_error("Unsupported type"))?;
  let byte_offset = napi.get_f64(element(napi, parts, 4)?)? as usize;
  let byte_length = napi.get_f64(element(napi, parts, 5)?)? as usize;
  Ok(Some(View { kind, byte_offset, byte_length }))
}

/// Copies a host value (isolated-vm's `ExternalCopy::Copy`). ArrayBuffers in `transfer_list`,
/// and a top-level ArrayBuffer with `transfer_out`, are moved (detached here).
pub fn copy_from_napi(napi: Napi, value: Value, transfer_out: bool, transfer_list: Option<Value>) -> Result<Arc<CopyData>> {
  if let Some(primitive) = napi.primitive(value)? {
    return Ok(CopyData::new(Payload::Primitive(primitive.into())));
  }
  if napi.type_of(value)? == sys::ValueType::napi_symbol {
    return Err(Error::type_error("Unsupported type"));
  }
  let serialize = host(napi, "serialize")?;
  let args = [
    value,
    napi.boolean(transfer_out)?,
    match transfer_list {
      Some(list) => list,
      None => napi.undefined()?,
    },
  ];
  let parts = napi.call(napi.undefined()?, serialize, &args)?;
  match napi.get_f64(element(napi, parts, 0)?)? as u32 {
    1 => {
      let buffer = element(napi, parts, 1)?;
      let moved = napi.get_bool(element(napi, parts, 2)?)?;
      let bytes = if moved { take_buffer(napi, buffer)? } else { copied_bytes(napi, buffer)? };
      Ok(CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(bytes)), view: view_of(napi, parts)? }))
    }
    2 => {
      let memory = shared_memory(napi, element(napi, parts, 1)?, element(napi, parts, 2)?)?;
      Ok(CopyData::new(Payload::Shared { memory, view: view_of(napi, parts)? }))
    }
    _ => {
      let (data, len) = typedarray_data(napi, element(napi, parts, 1)?)?;
      // SAFETY: lib/clone.js gives a Uint8Array, so `len` elements are `len` bytes, copied at once.
      let bytes = if len == 0 { Vec::new() } else { unsafe { std::slice::from_raw_parts(data, len) }.to_vec() };
      let handles_array = element(napi, parts, 2)?;
      let mut handles = Vec::new();
      for index in 0..napi.array_len(handles_array)? {
        let handle = super::forward::handle(napi, element(napi, handles_array, index)?)?.ok_or_else(Error::illegal_invocation)?;
        handles.push(handle.transfer_out()?);
      }
      let pairs = element(napi, parts, 3)?;
      let mut shared = Vec::new();
      for index in (0..napi.array_len(pairs)?).step_by(2) {
        shared.push(shared_memory(napi, element(napi, pairs, index)?, element(napi, pairs, index + 1)?)?);
      }
      // Moved once the value is written: views over them had to be readable until then.
      let mut buffers = Vec::new();
      if let Some(list) = transfer_list {
        for index in 0..napi.array_len(list)? {
          buffers.push(Some(take_buffer(napi, element(napi, list, index)?)?));
        }
      }
      Ok(CopyData::new(Payload::Serialized(Serialized { bytes, buffers: Mutex::new(buffers), shared, wasm: Vec::new(), handles })))
    }
  }
}

/// A Node ArrayBuffer for these bytes: the same memory, no copy.
pub fn buffer_to_napi(napi: Napi, bytes: Bytes) -> Result<Value> {
  if let Bytes::Node { owner, .. } = &bytes {
    if owner.env.is_current_thread() {
      return owner.get(napi);
    }
  }
  let len = bytes.len();
  if len == 0 {
    return copy_to_napi(napi, &bytes);
  }
  let data = bytes.as_slice().as_ptr() as *mut c_void;
  let holder = Arc::new(ExternalHolder { bytes: Mutex::new(Some(bytes)), data: data as usize });
  externals().lock().insert(data as usize, Arc::downgrade(&holder));
  // SAFETY: the memory is that of the holder's bytes, which it keeps until the buffer is
  // collected, or gives up (`take_external`) only once the buffer is detached.
  unsafe { napi.external_arraybuffer(data, len, holder) }
}

/// A new Node ArrayBuffer holding a copy of these bytes.
pub fn copy_to_napi(napi: Napi, bytes: &Bytes) -> Result<Value> {
  let mut data = null_mut();
  let mut buffer = null_mut();
  call!(napi, napi_create_arraybuffer(bytes.len(), &mut data, &mut buffer))?;
  if bytes.len() > 0 {
    // SAFETY: Node-API made `data` a new buffer of `bytes.len()` bytes, distinct from `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_slice().as_ptr(), data as *mut u8, bytes.len()) };
  }
  Ok(buffer)
}

pub fn shared_to_napi(napi: Napi, memory: &Arc<SharedMemory>) -> Result<Value> {
  match &**memory {
    SharedMemory::Node { owner, .. } if owner.env.is_current_thread() => owner.get(napi),
    _ => super::shared::external_shared_array_buffer(napi, memory.clone()),
  }
}

/// A view made by lib/host.js (any kind, over any buffer); with `tracking`, one that follows
/// the length of a resizable buffer.
pub fn make_view(napi: Napi, buffer: Value, view: View, tracking: bool) -> Result<Value> {
  let make = host(napi, "view")?;
  let args = [
    napi.string_utf8(view.kind.name())?,
    buffer,
    napi.number(view.byte_offset as f64)?,
    if tracking { napi.undefined()? } else { napi.number(view.byte_length as f64)? },
  ];
  napi.call(napi.undefined()?, make, &args)
}

fn with_view(napi: Napi, buffer: Value, view: Option<View>) -> Result<Value> {
  match view {
    Some(view) => make_view(napi, buffer, view, false),
    None => Ok(buffer),
  }
}

/// Rebuilds a copy in the host; with `transfer_in`, buffers are moved rather than copied.
pub fn copy_into_napi(napi: Napi, data: &CopyData, transfer_in: bool) -> Result<Value> {
  match &data.payload {
    Payload::Primitive(value) => convert::to_napi(napi, value.clone()),
    Payload::Buffer { bytes, view } => {
      let buffer = if transfer_in {
        buffer_to_napi(napi, CopyData::buffer_bytes(bytes, true)?)?
      } else {
        let held = bytes.lock();
        copy_to_napi(napi, held.as_ref().ok_or_else(|| Error::generic("Array buffer is invalid"))?)?
      };
      with_view(napi, buffer, *view)
    }
    Payload::Shared { memory, view } => {
      let buffer = shared_to_napi(napi, memory)?;
      with_view(napi, buffer, *view)
    }
    Payload::Serialized(serialized) => super::clone::read(napi, serialized, transfer_in),
  }
}
