//! Host values rebuilt from V8's serialization format, as V8's ValueDeserializer rebuilds them,
//! through Node-API.
//!
//! Objects are created as the data opens them (so that later references to them resolve) and
//! completed with an explicit stack. Plain objects get their properties defined in one call
//! when they end; keys repeated across objects are created once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::null_mut;

use napi::sys;

use super::super::convert;
use super::super::copy::{buffer_to_napi, copy_to_napi, host, make_view, shared_to_napi};
use super::wire::{self, error_tag, invalid, tag, Reader};
use crate::error::{Error, Result};
use crate::host::napi::{call, Napi, Value};
use crate::transfer::copy::{Serialized, View, ViewKind};

/// Rebuilds a serialized value in the host; with `transfer_in`, transferred buffers are moved
/// rather than copied.
pub fn value(napi: Napi, serialized: &Serialized, transfer_in: bool) -> Result<Value> {
  if !serialized.wasm.is_empty() {
    return Err(Error::type_error("A WebAssembly.Module inside a copied value cannot be rebuilt in Node.js"));
  }
  if let Some(text) = super::json::text(&serialized.bytes) {
    let text = napi.string_latin1(&text)?;
    return napi.call(napi.undefined()?, host(napi, "parse")?, &[text]);
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
  let mut build = Build {
    napi,
    serialized,
    reader: Reader::new(&serialized.bytes)?,
    buffers,
    objects: Vec::new(),
    stack: Vec::new(),
    properties: Vec::new(),
    keys: HashMap::default(),
    units: Vec::new(),
    helpers: Helpers::default(),
  };
  build.run()
}

/// An object read so far, by id: what references to it resolve to.
#[derive(Clone, Copy)]
struct Entry {
  value: Value,
  /// For ArrayBuffers, which a view may follow.
  buffer: Option<BufferKind>,
}

#[derive(Clone, Copy, PartialEq)]
enum BufferKind {
  Plain,
  Shared,
  Resizable,
}

enum Frame {
  /// A plain object; its properties are those of `Build::properties` from `start`.
  Object {
    object: Value,
    start: usize,
  },
  /// The elements of a dense array.
  Elements {
    array: Value,
    len: u32,
    next: u32,
  },
  /// The keyed properties of an array, then `end`, their count and the array's length.
  ArrayProperties {
    array: Value,
    end: u8,
    length: u32,
    count: u32,
  },
  /// The value of the array property with this key is being read.
  ArrayProperty {
    key: Value,
  },
  /// A Map, with the key of the entry being read.
  Map {
    map: Value,
    key: Option<Value>,
    count: u32,
  },
  Set {
    set: Value,
    count: u32,
  },
  /// An error whose cause is being read.
  Cause {
    error: Value,
  },
}

/// The host helpers used for kinds of objects Node-API cannot make, looked up when first needed.
#[derive(Default)]
struct Helpers {
  map: Option<(Value, Value)>,
  set: Option<(Value, Value)>,
}

/// A fast hash for property keys (short byte strings).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
  fn finish(&self) -> u64 {
    self.0
  }
  fn write(&mut self, bytes: &[u8]) {
    for &byte in bytes {
      self.0 = (self.0.rotate_left(5) ^ byte as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
  }
}

struct Build<'s> {
  napi: Napi,
  serialized: &'s Serialized,
  reader: Reader<'s>,
  buffers: Vec<Value>,
  objects: Vec<Entry>,
  stack: Vec<Frame>,
  /// Keys and values of the plain objects being read, innermost last.
  properties: Vec<sys::napi_property_descriptor>,
  /// Property keys made so far, by their encoding (tag and bytes).
  keys: HashMap<(u8, &'s [u8]), Value, BuildHasherDefault<KeyHasher>>,
  units: Vec<u16>,
  helpers: Helpers,
}

/// A value read, or more to read before there is one (an object was opened, a hole skipped).
enum Step {
  Value(Value),
  More,
}

impl<'s> Build<'s> {
  fn run(&mut self) -> Result<Value> {
    let mut step = self.value()?;
    loop {
      if let Step::Value(value) = step {
        if self.stack.is_empty() {
          return Ok(value);
        }
        self.deliver(value)?;
      }
      step = self.next()?;
    }
  }

  /// Reads what the innermost open object has next: one of its values, or its end.
  fn next(&mut self) -> Result<Step> {
    let napi = self.napi;
    let top = self.stack.len() - 1;
    match &mut self.stack[top] {
      Frame::Object { object, start } => {
        let (object, start) = (*object, *start);
        if self.reader.peek_tag()? != tag::END_JS_OBJECT {
          let key = self.key()?;
          let name = self.name(key)?;
          self.properties.push(descriptor(
            name,
            null_mut(),
            sys::PropertyAttributes::writable | sys::PropertyAttributes::enumerable | sys::PropertyAttributes::configurable,
          ));
          return self.value();
        }
        self.reader.tag()?;
        let count = self.reader.size()?;
        if count != self.properties.len() - start {
          return Err(invalid());
        }
        call!(napi, napi_define_properties(object, count, self.properties[start..].as_ptr()))?;
        self.properties.truncate(start);
        self.stack.pop();
        Ok(Step::Value(object))
      }
      Frame::Elements { array, len, next } => {
        let (array, len) = (*array, *len);
        if *next < len {
          if self.reader.peek_tag()? == tag::THE_HOLE {
            self.reader.tag()?;
            *next += 1;
            return Ok(Step::More);
          }
          return self.value();
        }
        self.stack[top] = Frame::ArrayProperties { array, end: tag::END_DENSE_JS_ARRAY, length: len, count: 0 };
        Ok(Step::More)
      }
      Frame::ArrayProperties { array, end, length, count } => {
        let (array, end, length, count) = (*array, *end, *length, *count);
        if self.reader.peek_tag()? != end {
          let key = self.key()?;
          self.stack.push(Frame::ArrayProperty { key });
          return self.value();
        }
        self.reader.tag()?;
        if self.reader.varint32()? != count || self.reader.varint32()? != length {
          return Err(invalid());
        }
        self.stack.pop();
        Ok(Step::Value(array))
      }
      Frame::Map { map, count, .. } => {
        let (map, count) = (*map, *count);
        if self.reader.peek_tag()? != tag::END_JS_MAP {
          return self.value();
        }
        self.end_collection(map, count)
      }
      Frame::Set { set, count } => {
        let (set, count) = (*set, *count);
        if self.reader.peek_tag()? != tag::END_JS_SET {
          return self.value();
        }
        self.end_collection(set, count)
      }
      // Replaced by the value read after its key before `next` runs again.
      Frame::ArrayProperty { .. } => Err(invalid()),
      Frame::Cause { error } => {
        let error = *error;
        if self.reader.varint()? != error_tag::END as u64 {
          return Err(invalid());
        }
        self.stack.pop();
        Ok(Step::Value(error))
      }
    }
  }

  fn end_collection(&mut self, collection: Value, count: u32) -> Result<Step> {
    self.reader.tag()?;
    if self.reader.varint32()? != count {
      return Err(invalid());
    }
    self.stack.pop();
    Ok(Step::Value(collection))
  }

  /// Gives a completed value to the innermost open object.
  fn deliver(&mut self, value: Value) -> Result<()> {
    let napi = self.napi;
    let top = self.stack.len() - 1;
    match &mut self.stack[top] {
      Frame::Object { .. } => {
        let last = self.properties.len() - 1;
        self.properties[last].value = value;
      }
      Frame::Elements { array, next, .. } => {
        napi.set_element(*array, *next, value)?;
        *next += 1;
      }
      Frame::Map { map, key, count } => match key.take() {
        None => *key = Some(value),
        Some(entry_key) => {
          let map = *map;
          *count += 2;
          let (_, set) = self.map()?;
          napi.call(map, set, &[entry_key, value])?;
        }
      },
      Frame::ArrayProperty { key } => {
        let key = *key;
        self.stack.pop();
        let Some(Frame::ArrayProperties { array, count, .. }) = self.stack.last_mut() else { return Err(invalid()) };
        *count += 1;
        napi.set(*array, key, value)?;
      }
      Frame::Set { set, count } => {
        let set = *set;
        *count += 1;
        let (_, add) = self.set()?;
        napi.call(set, add, &[value])?;
      }
      Frame::Cause { error } => {
        let cause =
          descriptor(napi.string_utf8("cause")?, value, sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable);
        call!(napi, napi_define_properties(*error, 1, &cause))?;
      }
      Frame::ArrayProperties { .. } => return Err(invalid()),
    }
    Ok(())
  }

  /// A property key: a string or a number.
  fn key(&mut self) -> Result<Value> {
    let tag = self.reader.tag()?;
    match tag {
      tag::ONE_BYTE_STRING | tag::TWO_BYTE_STRING | tag::UTF8_STRING => {
        let len = self.reader.size()?;
        let bytes = self.reader.raw(len)?;
        if let Some(key) = self.keys.get(&(tag, bytes)) {
          return Ok(*key);
        }
        let key = self.string(tag, bytes)?;
        self.keys.insert((tag, bytes), key);
        Ok(key)
      }
      tag::INT32 => self.napi.number(self.reader.zigzag()? as f64),
      tag::UINT32 => self.napi.number(self.reader.varint32()? as f64),
      tag::DOUBLE => self.napi.number(self.reader.double()?),
      _ => Err(invalid()),
    }
  }

  /// A key as a property name (a string).
  fn name(&self, key: Value) -> Result<Value> {
    if self.napi.type_of(key)? == sys::ValueType::napi_string {
      return Ok(key);
    }
    let mut name = null_mut();
    call!(self.napi, napi_coerce_to_string(key, &mut name))?;
    Ok(name)
  }

  fn string(&mut self, tag: u8, bytes: &[u8]) -> Result<Value> {
    match tag {
      tag::ONE_BYTE_STRING => self.napi.string_latin1(bytes),
      tag::TWO_BYTE_STRING => {
        if !bytes.len().is_multiple_of(2) {
          return Err(invalid());
        }
        self.units.clear();
        self.units.extend(bytes.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]])));
        self.napi.string_utf16(&self.units)
      }
      _ => self.napi.string_utf8(std::str::from_utf8(bytes).map_err(|_| invalid())?),
    }
  }

  /// A string value (message, stack, RegExp source, String object).
  fn string_value(&mut self) -> Result<Value> {
    let tag = self.reader.tag()?;
    if !matches!(tag, tag::ONE_BYTE_STRING | tag::TWO_BYTE_STRING | tag::UTF8_STRING) {
      return Err(invalid());
    }
    let len = self.reader.size()?;
    let bytes = self.reader.raw(len)?;
    self.string(tag, bytes)
  }

  /// Takes the next object id.
  fn add(&mut self, value: Value, buffer: Option<BufferKind>) -> usize {
    self.objects.push(Entry { value, buffer });
    self.objects.len() - 1
  }

  /// Reads a value: a primitive or a leaf object at once, or opens an object.
  fn value(&mut self) -> Result<Step> {
    let napi = self.napi;
    let tag = self.reader.tag()?;
    let value = match tag {
      tag::VERIFY_OBJECT_COUNT => {
        self.reader.varint()?;
        return self.value();
      }
      tag::UNDEFINED => napi.undefined()?,
      tag::NULL => napi.null()?,
      tag::TRUE => napi.boolean(true)?,
      tag::FALSE => napi.boolean(false)?,
      tag::INT32 => {
        let mut value = null_mut();
        call!(napi, napi_create_int32(self.reader.zigzag()?, &mut value))?;
        value
      }
      tag::UINT32 => napi.number(self.reader.varint32()? as f64)?,
      tag::DOUBLE => napi.number(self.reader.double()?)?,
      tag::BIGINT => {
        let (negative, words) = self.reader.bigint()?;
        napi.bigint_words(negative, &words)?
      }
      tag::ONE_BYTE_STRING | tag::TWO_BYTE_STRING | tag::UTF8_STRING => {
        let len = self.reader.size()?;
        let bytes = self.reader.raw(len)?;
        self.string(tag, bytes)?
      }
      tag::OBJECT_REFERENCE => {
        let entry = *self.objects.get(self.reader.size()?).ok_or_else(invalid)?;
        return self.after_buffer(entry);
      }
      tag::BEGIN_JS_OBJECT => {
        let object = napi.object()?;
        self.add(object, None);
        self.stack.push(Frame::Object { object, start: self.properties.len() });
        return Ok(Step::More);
      }
      tag::BEGIN_DENSE_JS_ARRAY | tag::BEGIN_SPARSE_JS_ARRAY => {
        let len = self.reader.varint32()?;
        let array = napi.array(len as usize)?;
        self.add(array, None);
        self.stack.push(if tag == tag::BEGIN_DENSE_JS_ARRAY {
          Frame::Elements { array, len, next: 0 }
        } else {
          Frame::ArrayProperties { array, end: tag::END_SPARSE_JS_ARRAY, length: len, count: 0 }
        });
        return Ok(Step::More);
      }
      tag::DATE => {
        let mut date = null_mut();
        call!(napi, napi_create_date(self.reader.double()?, &mut date))?;
        self.add(date, None);
        date
      }
      tag::TRUE_OBJECT | tag::FALSE_OBJECT | tag::NUMBER_OBJECT | tag::BIGINT_OBJECT | tag::STRING_OBJECT => {
        let id = self.add(null_mut(), None);
        let primitive = match tag {
          tag::TRUE_OBJECT => napi.boolean(true)?,
          tag::FALSE_OBJECT => napi.boolean(false)?,
          tag::NUMBER_OBJECT => napi.number(self.reader.double()?)?,
          tag::BIGINT_OBJECT => {
            let (negative, words) = self.reader.bigint()?;
            napi.bigint_words(negative, &words)?
          }
          _ => self.string_value()?,
        };
        let mut boxed = null_mut();
        call!(napi, napi_coerce_to_object(primitive, &mut boxed))?;
        self.objects[id].value = boxed;
        boxed
      }
      tag::REGEXP => {
        let id = self.add(null_mut(), None);
        let source = self.string_value()?;
        let flags = napi.number(self.reader.varint32()? as f64)?;
        let regexp = napi.call(napi.undefined()?, host(napi, "regexp")?, &[source, flags])?;
        self.objects[id].value = regexp;
        regexp
      }
      tag::BEGIN_JS_MAP => {
        let (constructor, _) = self.map()?;
        let map = new_instance(napi, constructor)?;
        self.add(map, None);
        self.stack.push(Frame::Map { map, key: None, count: 0 });
        return Ok(Step::More);
      }
      tag::BEGIN_JS_SET => {
        let (constructor, _) = self.set()?;
        let set = new_instance(napi, constructor)?;
        self.add(set, None);
        self.stack.push(Frame::Set { set, count: 0 });
        return Ok(Step::More);
      }
      tag::ARRAY_BUFFER | tag::IMMUTABLE_ARRAY_BUFFER | tag::RESIZABLE_ARRAY_BUFFER => {
        let len = self.reader.size()?;
        let max = if tag == tag::RESIZABLE_ARRAY_BUFFER { Some(self.reader.size()?) } else { None };
        let bytes = self.reader.raw(len)?;
        let (buffer, kind) = match max {
          Some(max) if max >= len => {
            let args = [napi.number(len as f64)?, napi.number(max as f64)?];
            let buffer = napi.call(napi.undefined()?, host(napi, "resizable")?, &args)?;
            (buffer, BufferKind::Resizable)
          }
          Some(_) => return Err(invalid()),
          // Node has no immutable ArrayBuffers: those arrive as ordinary ones.
          None => (new_arraybuffer(napi, len)?, BufferKind::Plain),
        };
        fill(napi, buffer, bytes)?;
        let id = self.add(buffer, Some(kind));
        return self.after_buffer(self.objects[id]);
      }
      tag::ARRAY_BUFFER_TRANSFER => {
        let buffer = *self.buffers.get(self.reader.size()?).ok_or_else(invalid)?;
        let id = self.add(buffer, Some(BufferKind::Plain));
        return self.after_buffer(self.objects[id]);
      }
      tag::SHARED_ARRAY_BUFFER => {
        let memory = self.serialized.shared.get(self.reader.size()?).ok_or_else(invalid)?;
        let buffer = shared_to_napi(napi, memory)?;
        // A WebAssembly memory's buffer is followed by its length.
        if self.reader.peek_tag()? == tag::WASM_MEMORY_FIXED_LENGTH {
          self.reader.tag()?;
          self.reader.varint()?;
        }
        let id = self.add(buffer, Some(BufferKind::Shared));
        return self.after_buffer(self.objects[id]);
      }
      tag::ERROR => return self.error(),
      tag::HOST_OBJECT => {
        let handle =
          self.serialized.handles.get(self.reader.size()?).ok_or_else(|| Error::generic("Invalid host object in copied data"))?;
        let object = convert::to_napi(napi, handle.clone())?;
        self.add(object, None);
        object
      }
      tag::WASM_MEMORY_TRANSFER => {
        return Err(Error::type_error("A WebAssembly.Memory inside a copied value cannot be rebuilt in Node.js"))
      }
      _ => return Err(invalid()),
    };
    Ok(Step::Value(value))
  }

  /// An ArrayBuffer (or a reference to one) followed by a view is the view.
  fn after_buffer(&mut self, entry: Entry) -> Result<Step> {
    let Some(kind) = entry.buffer else { return Ok(Step::Value(entry.value)) };
    if self.reader.peek_tag().ok() != Some(tag::ARRAY_BUFFER_VIEW) {
      return Ok(Step::Value(entry.value));
    }
    self.reader.tag()?;
    let view_kind = wire::view_kind(self.reader.byte()?).ok_or_else(invalid)?;
    let byte_offset = self.reader.size()?;
    let byte_length = self.reader.size()?;
    let flags = self.reader.varint32()?;
    if byte_offset % view_kind.element_size() != 0 || byte_length % view_kind.element_size() != 0 {
      return Err(invalid());
    }
    let view = View { kind: view_kind, byte_offset, byte_length };
    let tracking = flags & wire::VIEW_LENGTH_TRACKING != 0;
    let value = if kind == BufferKind::Plain && !tracking {
      plain_view(self.napi, entry.value, view)?
    } else {
      make_view(self.napi, entry.value, view, tracking)?
    };
    self.add(value, None);
    Ok(Step::Value(value))
  }

  fn error(&mut self) -> Result<Step> {
    let napi = self.napi;
    let id = self.add(null_mut(), None);
    let mut sub_tag = self.reader.varint()? as u8;
    let mut prototype = 0;
    if matches!(
      sub_tag,
      error_tag::EVAL_ERROR
        | error_tag::RANGE_ERROR
        | error_tag::REFERENCE_ERROR
        | error_tag::SYNTAX_ERROR
        | error_tag::TYPE_ERROR
        | error_tag::URI_ERROR
    ) {
      prototype = sub_tag;
      sub_tag = self.reader.varint()? as u8;
    }
    let mut message = napi.undefined()?;
    if sub_tag == error_tag::MESSAGE {
      message = self.string_value()?;
      sub_tag = self.reader.varint()? as u8;
    }
    let mut stack = napi.undefined()?;
    if sub_tag == error_tag::STACK {
      stack = self.string_value()?;
      sub_tag = self.reader.varint()? as u8;
    }
    let args = [napi.number(prototype as f64)?, message, stack];
    let error = napi.call(napi.undefined()?, host(napi, "error")?, &args)?;
    self.objects[id].value = error;
    match sub_tag {
      error_tag::CAUSE => {
        self.stack.push(Frame::Cause { error });
        self.value()
      }
      error_tag::END => Ok(Step::Value(error)),
      _ => Err(invalid()),
    }
  }

  fn map(&mut self) -> Result<(Value, Value)> {
    let napi = self.napi;
    if self.helpers.map.is_none() {
      self.helpers.map = Some((host(napi, "Map")?, host(napi, "mapSet")?));
    }
    Ok(self.helpers.map.expect("set above"))
  }

  fn set(&mut self) -> Result<(Value, Value)> {
    let napi = self.napi;
    if self.helpers.set.is_none() {
      self.helpers.set = Some((host(napi, "Set")?, host(napi, "setAdd")?));
    }
    Ok(self.helpers.set.expect("set above"))
  }
}

fn descriptor(name: Value, value: Value, attributes: sys::napi_property_attributes) -> sys::napi_property_descriptor {
  sys::napi_property_descriptor {
    utf8name: std::ptr::null(),
    name,
    method: None,
    getter: None,
    setter: None,
    value,
    attributes,
    data: null_mut(),
  }
}

fn new_instance(napi: Napi, constructor: Value) -> Result<Value> {
  let mut instance = null_mut();
  call!(napi, napi_new_instance(constructor, 0, null_mut(), &mut instance))?;
  Ok(instance)
}

fn new_arraybuffer(napi: Napi, len: usize) -> Result<Value> {
  let mut data = null_mut();
  let mut buffer = null_mut();
  call!(napi, napi_create_arraybuffer(len, &mut data, &mut buffer))?;
  Ok(buffer)
}

fn fill(napi: Napi, buffer: Value, bytes: &[u8]) -> Result<()> {
  let mut data = null_mut();
  let mut len = 0usize;
  call!(napi, napi_get_arraybuffer_info(buffer, &mut data, &mut len))?;
  if len < bytes.len() {
    return Err(invalid());
  }
  if !bytes.is_empty() {
    // SAFETY: the buffer holds `len` bytes, at least `bytes.len()` (checked above), and is a new
    // one of ours, distinct from `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len()) };
  }
  Ok(())
}

/// A view over an ordinary ArrayBuffer, made by Node-API where it can (all kinds but Float16).
fn plain_view(napi: Napi, buffer: Value, view: View) -> Result<Value> {
  let kind = match view.kind {
    ViewKind::Int8 => sys::TypedarrayType::int8_array,
    ViewKind::Uint8 => sys::TypedarrayType::uint8_array,
    ViewKind::Uint8Clamped => sys::TypedarrayType::uint8_clamped_array,
    ViewKind::Int16 => sys::TypedarrayType::int16_array,
    ViewKind::Uint16 => sys::TypedarrayType::uint16_array,
    ViewKind::Int32 => sys::TypedarrayType::int32_array,
    ViewKind::Uint32 => sys::TypedarrayType::uint32_array,
    ViewKind::Float32 => sys::TypedarrayType::float32_array,
    ViewKind::Float64 => sys::TypedarrayType::float64_array,
    ViewKind::BigInt64 => sys::TypedarrayType::bigint64_array,
    ViewKind::BigUint64 => sys::TypedarrayType::biguint64_array,
    ViewKind::Float16 => return make_view(napi, buffer, view, false),
    ViewKind::DataView => {
      let mut result = null_mut();
      call!(napi, napi_create_dataview(view.byte_length, buffer, view.byte_offset, &mut result))?;
      return Ok(result);
    }
  };
  let mut result = null_mut();
  let length = view.byte_length / view.kind.element_size();
  call!(napi, napi_create_typedarray(kind, length, buffer, view.byte_offset, &mut result))?;
  Ok(result)
}
