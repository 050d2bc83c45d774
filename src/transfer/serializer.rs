//! Copies of values of our isolates, through V8's ValueSerializer and ValueDeserializer.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use parking_lot::Mutex;

use super::buffer::{self, Bytes, SharedMemory};
use super::copy::{CopyData, Payload, Serialized, View, ViewKind};
use super::{v8conv, Transferable};
use crate::error::{Error, Result};

/// What the serializer collected besides the bytes.
#[derive(Default)]
struct Collected {
  shared: Vec<Arc<SharedMemory>>,
  wasm: Vec<v8::CompiledWasmModule>,
  handles: Vec<Transferable>,
}

struct SerializerDelegate(Rc<RefCell<Collected>>);

impl v8::ValueSerializerImpl for SerializerDelegate {
  fn throw_data_clone_error<'s>(&self, scope: &mut v8::PinScope<'s, '_>, message: v8::Local<'s, v8::String>) {
    // isolated-vm throws a TypeError for values that cannot be cloned.
    let error = v8::Exception::type_error(scope, message);
    scope.throw_exception(error);
  }

  // Host objects are V8's default: objects with internal fields, which only isolated-vm's
  // objects have in our isolates (see inner).

  fn write_host_object<'s>(
    &self,
    scope: &mut v8::PinScope<'s, '_>,
    object: v8::Local<'s, v8::Object>,
    serializer: &dyn v8::ValueSerializerHelper,
  ) -> Option<bool> {
    let transferred = crate::transfer::facade::facade_handle(scope, object.into())
      .and_then(|handle| handle.ok_or_else(Error::illegal_invocation))
      .and_then(|handle| handle.transfer_out());
    match transferred {
      Ok(value) => {
        let mut collected = self.0.borrow_mut();
        serializer.write_uint32(collected.handles.len() as u32);
        collected.handles.push(value);
        Some(true)
      }
      Err(error) => {
        v8conv::throw(scope, error);
        None
      }
    }
  }

  fn get_shared_array_buffer_id<'s>(&self, _scope: &mut v8::PinScope<'s, '_>, buffer: v8::Local<'s, v8::SharedArrayBuffer>) -> Option<u32> {
    let mut collected = self.0.borrow_mut();
    collected.shared.push(SharedMemory::of(buffer));
    Some(collected.shared.len() as u32 - 1)
  }

  fn get_wasm_module_transfer_id(&self, _scope: &mut v8::PinScope<'_, '_>, module: v8::Local<v8::WasmModuleObject>) -> Option<u32> {
    let mut collected = self.0.borrow_mut();
    collected.wasm.push(module.get_compiled_module());
    Some(collected.wasm.len() as u32 - 1)
  }
}

fn view_kind(view: v8::Local<v8::ArrayBufferView>) -> ViewKind {
  if view.is_uint8_array() {
    ViewKind::Uint8
  } else if view.is_uint8_clamped_array() {
    ViewKind::Uint8Clamped
  } else if view.is_int8_array() {
    ViewKind::Int8
  } else if view.is_uint16_array() {
    ViewKind::Uint16
  } else if view.is_int16_array() {
    ViewKind::Int16
  } else if view.is_uint32_array() {
    ViewKind::Uint32
  } else if view.is_int32_array() {
    ViewKind::Int32
  } else if view.is_float16_array() {
    ViewKind::Float16
  } else if view.is_float32_array() {
    ViewKind::Float32
  } else if view.is_float64_array() {
    ViewKind::Float64
  } else if view.is_big_int64_array() {
    ViewKind::BigInt64
  } else if view.is_big_uint64_array() {
    ViewKind::BigUint64
  } else {
    ViewKind::DataView
  }
}

/// Copies a value of the current isolate (isolated-vm's `ExternalCopy::Copy`). ArrayBuffers
/// in `transfer_list`, and a top-level ArrayBuffer with `transfer_out`, are moved (detached here).
pub fn copy_from_v8(
  scope: &mut v8::PinScope<'_, '_>,
  value: v8::Local<v8::Value>,
  transfer_out: bool,
  transfer_list: &[v8::Local<v8::ArrayBuffer>],
) -> Result<Arc<CopyData>> {
  if let Some(primitive) = v8conv::primitive_from_v8(scope, value) {
    return Ok(CopyData::new(Payload::Primitive(primitive.into())));
  }
  let moves = |buffer: &v8::Local<v8::ArrayBuffer>| transfer_out || transfer_list.iter().any(|b| b == buffer);
  if let Ok(buffer) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
    let bytes = if moves(&buffer) { Bytes::take(buffer)? } else { copy_of_buffer(buffer) };
    return Ok(CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(bytes)), view: None }));
  }
  if let Ok(buffer) = v8::Local::<v8::SharedArrayBuffer>::try_from(value) {
    return Ok(CopyData::new(Payload::Shared { memory: SharedMemory::of(buffer), view: None }));
  }
  if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value) {
    let info = View { kind: view_kind(view), byte_offset: view.byte_offset(), byte_length: view.byte_length() };
    let buffer: v8::Local<v8::Object> = view.buffer(scope).ok_or_else(|| Error::range_error("Array buffer allocation failed"))?.into();
    if let Ok(shared) = v8::Local::<v8::SharedArrayBuffer>::try_from(v8::Local::<v8::Value>::from(buffer)) {
      return Ok(CopyData::new(Payload::Shared { memory: SharedMemory::of(shared), view: Some(info) }));
    }
    let buffer =
      v8::Local::<v8::ArrayBuffer>::try_from(v8::Local::<v8::Value>::from(buffer)).map_err(|_| Error::type_error("Unsupported type"))?;
    let bytes = if moves(&buffer) { Bytes::take(buffer)? } else { copy_of_buffer(buffer) };
    return Ok(CopyData::new(Payload::Buffer { bytes: Mutex::new(Some(bytes)), view: Some(info) }));
  }
  if !value.is_object() {
    return Err(Error::type_error("Unsupported type"));
  }
  Ok(CopyData::new(Payload::Serialized(serialize(scope, value, transfer_list)?)))
}

/// A copy of an ArrayBuffer's bytes.
fn copy_of_buffer(buffer: v8::Local<v8::ArrayBuffer>) -> Bytes {
  match buffer.data() {
    Some(data) if buffer.byte_length() > 0 => {
      // SAFETY: the buffer's memory holds `byte_length` bytes, and nothing can detach or resize
      // it (no JavaScript runs) while they are copied.
      Bytes::copy_of(unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, buffer.byte_length()) })
    }
    _ => Bytes::copy_of(&[]),
  }
}

fn serialize(
  scope: &mut v8::PinScope<'_, '_>,
  value: v8::Local<v8::Value>,
  transfer_list: &[v8::Local<v8::ArrayBuffer>],
) -> Result<Serialized> {
  let collected = Rc::new(RefCell::new(Collected::default()));
  let serializer = v8::ValueSerializer::new(scope, Box::new(SerializerDelegate(collected.clone())));
  use v8::ValueSerializerHelper;
  // Mark transferred buffers first; detach them only once the value is written, since views
  // over them must still be readable while serializing.
  for (id, buffer) in transfer_list.iter().enumerate() {
    serializer.transfer_array_buffer(id as u32, *buffer);
  }
  serializer.write_header();
  let context = scope.get_current_context();
  v8::tc_scope!(let tc, scope);
  if serializer.write_value(context, value) != Some(true) {
    return Err(match tc.exception() {
      Some(exception) => Error::Thrown(v8conv::thrown_from_v8(tc, exception)),
      None => Error::Pending,
    });
  }
  let bytes = serializer.release();
  drop(serializer);
  let mut buffers = Vec::with_capacity(transfer_list.len());
  for buffer in transfer_list {
    buffers.push(Some(Bytes::take(*buffer)?));
  }
  let collected = Rc::try_unwrap(collected).ok().expect("the serializer is gone").into_inner();
  Ok(Serialized { bytes, buffers: Mutex::new(buffers), shared: collected.shared, wasm: collected.wasm, handles: collected.handles })
}

struct DeserializerDelegate<'d> {
  serialized: &'d Serialized,
  /// The objects for `serialized.handles`, made beforehand: JavaScript (which creating them
  /// may run) is not allowed while deserializing.
  handles: Vec<v8::Global<v8::Object>>,
}

impl v8::ValueDeserializerImpl for DeserializerDelegate<'_> {
  fn read_host_object<'s>(
    &self,
    scope: &mut v8::PinScope<'s, '_>,
    deserializer: &dyn v8::ValueDeserializerHelper,
  ) -> Option<v8::Local<'s, v8::Object>> {
    let mut index = 0;
    let handle = if deserializer.read_uint32(&mut index) { self.handles.get(index as usize) } else { None };
    match handle {
      Some(handle) => Some(v8::Local::new(scope, handle)),
      None => {
        v8conv::throw(scope, Error::generic("Invalid host object in copied data"));
        None
      }
    }
  }

  fn get_shared_array_buffer_from_id<'s>(&self, scope: &mut v8::PinScope<'s, '_>, id: u32) -> Option<v8::Local<'s, v8::SharedArrayBuffer>> {
    match self.serialized.shared.get(id as usize) {
      Some(memory) => Some(memory.into_isolate(scope)),
      None => {
        v8conv::throw(scope, Error::generic("Invalid SharedArrayBuffer in copied data"));
        None
      }
    }
  }

  fn get_wasm_module_from_id<'s>(&self, scope: &mut v8::PinScope<'s, '_>, id: u32) -> Option<v8::Local<'s, v8::WasmModuleObject>> {
    match self.serialized.wasm.get(id as usize) {
      Some(module) => v8::WasmModuleObject::from_compiled_module(scope, module),
      None => {
        v8conv::throw(scope, Error::generic("Invalid WebAssembly.Module in copied data"));
        None
      }
    }
  }
}

/// Creates the copy in the current context of the current isolate. With `transfer_in`, moved
/// buffers are taken rather than copied (the copy then has no buffers left).
pub fn copy_to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, data: &CopyData, transfer_in: bool) -> Result<v8::Local<'s, v8::Value>> {
  match &data.payload {
    Payload::Primitive(Transferable::String(s)) => Ok(super::external_string::to_v8(scope, s)?.into()),
    Payload::Primitive(value) => v8conv::to_v8(scope, value.clone()),
    Payload::Buffer { bytes, view } => {
      if !transfer_in {
        buffer::make_room(scope, data.size())?;
      }
      let buffer = CopyData::buffer_bytes(bytes, transfer_in)?.into_isolate(scope)?;
      Ok(match view {
        None => buffer.into(),
        Some(view) => new_view(scope, buffer, *view)?,
      })
    }
    Payload::Shared { memory, view } => {
      let buffer = memory.into_isolate(scope);
      Ok(match view {
        None => buffer.into(),
        Some(view) => {
          // SAFETY: a SharedArrayBuffer is a JSArrayBuffer to V8 and its view constructors accept
          // both (the C++ API has overloads; the v8 crate binds only the ArrayBuffer ones).
          // Locals are plain pointers of the same layout.
          new_view(scope, unsafe { std::mem::transmute::<v8::Local<v8::SharedArrayBuffer>, v8::Local<v8::ArrayBuffer>>(buffer) }, *view)?
        }
      })
    }
    Payload::Serialized(serialized) => deserialize(scope, serialized, transfer_in),
  }
}

fn new_view<'s>(scope: &mut v8::PinScope<'s, '_>, buffer: v8::Local<'s, v8::ArrayBuffer>, view: View) -> Result<v8::Local<'s, v8::Value>> {
  let offset = view.byte_offset;
  let length = view.byte_length / view.kind.element_size();
  let created: Option<v8::Local<v8::Value>> = match view.kind {
    ViewKind::Uint8 => v8::Uint8Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Uint8Clamped => v8::Uint8ClampedArray::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Int8 => v8::Int8Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Uint16 => v8::Uint16Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Int16 => v8::Int16Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Uint32 => v8::Uint32Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Int32 => v8::Int32Array::new(scope, buffer, offset, length).map(Into::into),
    // SAFETY: the v8 crate lacks the upcast for Float16Array; Locals share one layout.
    ViewKind::Float16 => v8::Float16Array::new(scope, buffer, offset, length)
      .map(|array| unsafe { std::mem::transmute::<v8::Local<v8::Float16Array>, v8::Local<v8::Value>>(array) }),
    ViewKind::Float32 => v8::Float32Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::Float64 => v8::Float64Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::BigInt64 => v8::BigInt64Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::BigUint64 => v8::BigUint64Array::new(scope, buffer, offset, length).map(Into::into),
    ViewKind::DataView => Some(v8::DataView::new(scope, buffer, offset, view.byte_length).into()),
  };
  created.ok_or(Error::Pending)
}

fn deserialize<'s>(scope: &mut v8::PinScope<'s, '_>, serialized: &Serialized, transfer_in: bool) -> Result<v8::Local<'s, v8::Value>> {
  let mut buffers = Vec::new();
  {
    let mut held = serialized.buffers.lock();
    for slot in held.iter_mut() {
      let buffer = match slot {
        Some(bytes) if !transfer_in => bytes.copy_into_isolate(scope)?,
        Some(_) => slot.take().expect("matched Some").into_isolate(scope)?,
        None => return Err(Error::generic("Array buffer is invalid")),
      };
      buffers.push(buffer);
    }
  }
  let mut handles = Vec::with_capacity(serialized.handles.len());
  for handle in &serialized.handles {
    let object = v8conv::to_v8(scope, handle.clone())?;
    let object = v8::Local::<v8::Object>::try_from(object).map_err(|_| Error::generic("Invalid host object in copied data"))?;
    handles.push(v8::Global::new(scope, object));
  }
  let delegate = DeserializerDelegate { serialized, handles };
  let deserializer = v8::ValueDeserializer::new(scope, Box::new(delegate), &serialized.bytes);
  use v8::ValueDeserializerHelper;
  for (id, buffer) in buffers.into_iter().enumerate() {
    deserializer.transfer_array_buffer(id as u32, buffer);
  }
  let context = scope.get_current_context();
  v8::tc_scope!(let tc, scope);
  let value = deserializer.read_header(context).filter(|ok| *ok).and_then(|_| deserializer.read_value(context));
  match value {
    Some(value) => Ok(value),
    None => Err(match tc.exception() {
      Some(exception) => Error::Thrown(v8conv::thrown_from_v8(tc, exception)),
      None => Error::generic("Unable to deserialize cloned data."),
    }),
  }
}
