//! Copies of Node values, and copies rebuilt in Node.
//!
//! The serializing itself happens in JavaScript, with Node's own V8 (lib/host.js); this side
//! turns its tuples into `CopyData` and back.

use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::{Arc, OnceLock};

use napi::sys;
use parking_lot::Mutex;

use super::napi::{call, Napi, Value};
use super::{convert, facade, NodeEnv, NodeRef};
use crate::error::{Error, Result};
use crate::transfer::buffer::{Bytes, Pointer, SharedMemory};
use crate::transfer::copy::{CopyData, Payload, Serialized, View, ViewKind};
use crate::transfer::{Transferable, TransferType};

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

/// Memory of a Node ArrayBuffer being moved: one of ours goes back to us (it is detached here),
/// any other was moved by lib/host.js to a Node ArrayBuffer nobody else can reach.
fn moved_bytes(napi: Napi, buffer: Value) -> Result<Bytes> {
  if let Some(bytes) = take_external(napi, buffer)? {
    return Ok(bytes);
  }
  let (data, len) = arraybuffer_info(napi, buffer)?;
  Ok(Bytes::Node { owner: NodeRef::new(napi, &env()?, buffer)?, data: Pointer(data), len })
}

/// Node ArrayBuffers over memory we hold (see `buffer_to_napi`), by address. Node does not
/// transfer such buffers (it copies them), so moving one back takes the memory back directly.
fn externals() -> &'static Mutex<HashMap<usize, usize>> {
  static EXTERNALS: OnceLock<Mutex<HashMap<usize, usize>>> = OnceLock::new();
  EXTERNALS.get_or_init(Default::default)
}

/// What an external Node ArrayBuffer keeps alive; emptied when its memory is taken back.
type ExternalHolder = Mutex<Option<Bytes>>;

/// Whether `buffer` is a Node ArrayBuffer over memory we hold.
pub fn is_external(napi: Napi, buffer: Value) -> Result<bool> {
  let (data, len) = arraybuffer_info(napi, buffer)?;
  Ok(len > 0 && externals().lock().contains_key(&(data as usize)))
}

fn take_external(napi: Napi, buffer: Value) -> Result<Option<Bytes>> {
  let (data, len) = arraybuffer_info(napi, buffer)?;
  if len == 0 {
    return Ok(None);
  }
  let Some(holder) = externals().lock().get(&(data as usize)).copied() else { return Ok(None) };
  let bytes = unsafe { &*(holder as *const ExternalHolder) }.lock().take();
  if bytes.is_some() {
    call!(napi, napi_detach_arraybuffer(buffer))?;
  }
  Ok(bytes)
}

fn copied_bytes(napi: Napi, buffer: Value) -> Result<Bytes> {
  let (data, len) = arraybuffer_info(napi, buffer)?;
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

fn list(napi: Napi, array: Value) -> Result<Vec<Value>> {
  (0..napi.array_len(array)?).map(|i| element(napi, array, i)).collect()
}

/// Copies a Node value (isolated-vm's `ExternalCopy::Copy`).
pub fn copy_from_napi(napi: Napi, value: Value, transfer_out: bool, transfer_list: Option<Value>) -> Result<Arc<CopyData>> {
  if let Some(primitive) = convert::primitive_from_napi(napi, value)? {
    return Ok(CopyData::new(Payload::Primitive(primitive)));
  }
  let copy = host(napi, "copy")?;
  let transfer_out = napi.boolean(transfer_out)?;
  let mut args = vec![value, transfer_out];
  args.extend(transfer_list);
  let parts = napi.call(napi.undefined()?, copy, &args)?;
  match napi.get_f64(element(napi, parts, 0)?)? as u32 {
    1 => {
      let buffer = element(napi, parts, 1)?;
      let moved = napi.get_bool(element(napi, parts, 2)?)?;
      let bytes = if moved { moved_bytes(napi, buffer)? } else { copied_bytes(napi, buffer)? };
      Ok(CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(bytes)), view: view_of(napi, parts)? }))
    }
    2 => {
      let memory = shared_memory(napi, element(napi, parts, 1)?, element(napi, parts, 2)?)?;
      Ok(CopyData::new(Payload::Shared { memory, view: view_of(napi, parts)? }))
    }
    _ => {
      let bytes = element(napi, parts, 1)?;
      let (data, len) = typedarray_data(napi, bytes)?;
      let bytes = if len == 0 { Vec::new() } else { unsafe { std::slice::from_raw_parts(data, len) }.to_vec() };
      let mut handles = Vec::new();
      for object in list(napi, element(napi, parts, 2)?)? {
        let handle = facade::unwrap(napi, object)?.ok_or_else(crate::handle::illegal)?;
        handles.push(handle.transfer_out()?);
      }
      let mut buffers = Vec::new();
      for buffer in list(napi, element(napi, parts, 3)?)? {
        buffers.push(Some(moved_bytes(napi, buffer)?));
      }
      let mut shared = Vec::new();
      for pair in list(napi, element(napi, parts, 4)?)? {
        shared.push(shared_memory(napi, element(napi, pair, 0)?, element(napi, pair, 1)?)?);
      }
      Ok(CopyData::new(Payload::Serialized(Serialized { bytes, buffers: Mutex::new(buffers), shared, wasm: Vec::new(), handles })))
    }
  }
}

/// A Node ArrayBuffer for these bytes: the same memory, no copy.
fn buffer_to_napi(napi: Napi, bytes: Bytes) -> Result<Value> {
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
  let holder: *mut ExternalHolder = Box::into_raw(Box::new(Mutex::new(Some(bytes))));
  externals().lock().insert(data as usize, holder as usize);
  napi.create_external_arraybuffer(data, len, Some(release_external), holder.cast()).inspect_err(|_| {
    externals().lock().remove(&(data as usize));
    drop(unsafe { Box::from_raw(holder) });
  })
}

unsafe extern "C" fn release_external(_env: sys::napi_env, data: *mut c_void, hint: *mut c_void) {
  let mut map = externals().lock();
  if map.get(&(data as usize)) == Some(&(hint as usize)) {
    map.remove(&(data as usize));
  }
  drop(map);
  drop(unsafe { Box::from_raw(hint as *mut ExternalHolder) });
}

/// A new Node ArrayBuffer holding a copy of these bytes.
fn copy_to_napi(napi: Napi, bytes: &Bytes) -> Result<Value> {
  let mut data = null_mut();
  let mut buffer = null_mut();
  call!(napi, napi_create_arraybuffer(bytes.len(), &mut data, &mut buffer))?;
  if bytes.len() > 0 {
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_slice().as_ptr(), data as *mut u8, bytes.len()) };
  }
  Ok(buffer)
}

fn shared_to_napi(napi: Napi, memory: &Arc<SharedMemory>) -> Result<Value> {
  match &**memory {
    SharedMemory::Node { owner, .. } if owner.env.is_current_thread() => owner.get(napi),
    _ => super::shared::external_shared_array_buffer(napi, memory.clone()),
  }
}

fn with_view(napi: Napi, buffer: Value, view: Option<View>) -> Result<Value> {
  let Some(view) = view else { return Ok(buffer) };
  let make = host(napi, "view")?;
  let args = [
    napi.string_utf8(view.kind.name())?,
    buffer,
    napi.number(view.byte_offset as f64)?,
    napi.number(view.byte_length as f64)?,
  ];
  napi.call(napi.undefined()?, make, &args)
}

/// Rebuilds a copy in Node; with `transfer_in`, buffers are moved rather than copied.
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
    Payload::Serialized(serialized) => {
      if !serialized.shared.is_empty() {
        return Err(Error::type_error(
          "A SharedArrayBuffer inside a copied value cannot be rebuilt in Node.js; copy the SharedArrayBuffer itself",
        ));
      }
      if !serialized.wasm.is_empty() {
        return Err(Error::type_error("A WebAssembly.Module inside a copied value cannot be rebuilt in Node.js"));
      }
      let mut buffers = Vec::new();
      {
        let mut held = serialized.buffers.lock();
        for slot in held.iter_mut() {
          buffers.push(match slot {
            Some(bytes) if !transfer_in => copy_to_napi(napi, bytes)?,
            Some(_) => buffer_to_napi(napi, slot.take().expect("matched Some"))?,
            None => return Err(Error::generic("Array buffer is invalid")),
          });
        }
      }
      let handles = serialized.handles.iter().map(|h| convert::to_napi(napi, h.clone())).collect::<Result<Vec<_>>>()?;
      let bytes = copy_to_napi(napi, &Bytes::copy_of(&serialized.bytes))?;
      let bytes = {
        let mut view = null_mut();
        call!(napi, napi_create_typedarray(sys::TypedarrayType::uint8_array, serialized.bytes.len(), bytes, 0, &mut view))?;
        view
      };
      let deserialize = host(napi, "deserialize")?;
      let args = [bytes, array(napi, &handles)?, array(napi, &buffers)?];
      napi.call(napi.undefined()?, deserialize, &args)
    }
  }
}

fn array(napi: Napi, items: &[Value]) -> Result<Value> {
  let array = napi.array(items.len())?;
  for (index, item) in items.iter().enumerate() {
    napi.set_element(array, index as u32, *item)?;
  }
  Ok(array)
}
