//! V8's serialization format (v8/src/objects/value-serializer.cc), the bytes our isolates'
//! ValueSerializer writes and their ValueDeserializer reads: tags and the primitive encodings.
//!
//! lib/clone.js writes host values in this format; `read` rebuilds host values from it.

use crate::error::{Error, Result};
use crate::transfer::copy::ViewKind;

/// The latest format version (V8's `kLatestVersion`).
pub const VERSION: u8 = 16;

pub mod tag {
  pub const VERSION: u8 = 0xFF;
  pub const PADDING: u8 = b'\0';
  pub const VERIFY_OBJECT_COUNT: u8 = b'?';
  pub const THE_HOLE: u8 = b'-';
  pub const UNDEFINED: u8 = b'_';
  pub const NULL: u8 = b'0';
  pub const TRUE: u8 = b'T';
  pub const FALSE: u8 = b'F';
  pub const INT32: u8 = b'I';
  pub const UINT32: u8 = b'U';
  pub const DOUBLE: u8 = b'N';
  pub const BIGINT: u8 = b'Z';
  pub const UTF8_STRING: u8 = b'S';
  pub const ONE_BYTE_STRING: u8 = b'"';
  pub const TWO_BYTE_STRING: u8 = b'c';
  pub const OBJECT_REFERENCE: u8 = b'^';
  pub const BEGIN_JS_OBJECT: u8 = b'o';
  pub const END_JS_OBJECT: u8 = b'{';
  pub const BEGIN_SPARSE_JS_ARRAY: u8 = b'a';
  pub const END_SPARSE_JS_ARRAY: u8 = b'@';
  pub const BEGIN_DENSE_JS_ARRAY: u8 = b'A';
  pub const END_DENSE_JS_ARRAY: u8 = b'$';
  pub const DATE: u8 = b'D';
  pub const TRUE_OBJECT: u8 = b'y';
  pub const FALSE_OBJECT: u8 = b'x';
  pub const NUMBER_OBJECT: u8 = b'n';
  pub const BIGINT_OBJECT: u8 = b'z';
  pub const STRING_OBJECT: u8 = b's';
  pub const REGEXP: u8 = b'R';
  pub const BEGIN_JS_MAP: u8 = b';';
  pub const END_JS_MAP: u8 = b':';
  pub const BEGIN_JS_SET: u8 = b'\'';
  pub const END_JS_SET: u8 = b',';
  pub const ARRAY_BUFFER: u8 = b'B';
  pub const IMMUTABLE_ARRAY_BUFFER: u8 = b'C';
  pub const RESIZABLE_ARRAY_BUFFER: u8 = b'~';
  pub const ARRAY_BUFFER_TRANSFER: u8 = b't';
  pub const ARRAY_BUFFER_VIEW: u8 = b'V';
  pub const SHARED_ARRAY_BUFFER: u8 = b'u';
  pub const HOST_OBJECT: u8 = b'\\';
  pub const WASM_MEMORY_TRANSFER: u8 = b'm';
  pub const ERROR: u8 = b'r';
  /// After a SharedArrayBuffer that is a fixed-length WebAssembly memory: its byte length.
  pub const WASM_MEMORY_FIXED_LENGTH: u8 = b'f';
}

/// Sub-tags of `tag::ERROR`.
pub mod error_tag {
  pub const EVAL_ERROR: u8 = b'E';
  pub const RANGE_ERROR: u8 = b'R';
  pub const REFERENCE_ERROR: u8 = b'F';
  pub const SYNTAX_ERROR: u8 = b'S';
  pub const TYPE_ERROR: u8 = b'T';
  pub const URI_ERROR: u8 = b'U';
  pub const MESSAGE: u8 = b'm';
  pub const CAUSE: u8 = b'c';
  pub const STACK: u8 = b's';
  pub const END: u8 = b'.';
}

/// V8's sub-tags of ArrayBuffer views.
const VIEW_TAGS: [(u8, ViewKind); 13] = [
  (b'b', ViewKind::Int8),
  (b'B', ViewKind::Uint8),
  (b'C', ViewKind::Uint8Clamped),
  (b'w', ViewKind::Int16),
  (b'W', ViewKind::Uint16),
  (b'd', ViewKind::Int32),
  (b'D', ViewKind::Uint32),
  (b'h', ViewKind::Float16),
  (b'f', ViewKind::Float32),
  (b'F', ViewKind::Float64),
  (b'q', ViewKind::BigInt64),
  (b'Q', ViewKind::BigUint64),
  (b'?', ViewKind::DataView),
];

pub fn view_kind(tag: u8) -> Option<ViewKind> {
  VIEW_TAGS.iter().find(|(t, _)| *t == tag).map(|(_, kind)| *kind)
}

/// The flag, after an ArrayBuffer view, of one that tracks its buffer's length.
pub const VIEW_LENGTH_TRACKING: u32 = 1;

/// Bytes being read. Every read checks its bounds: damaged data gives an error, not a crash.
pub struct Reader<'b> {
  bytes: &'b [u8],
  position: usize,
}

/// V8's message for data it cannot read.
pub fn invalid() -> Error {
  Error::generic("Unable to deserialize cloned data.")
}

impl<'b> Reader<'b> {
  /// A reader past the header; refuses formats other than V8's current ones.
  pub fn new(bytes: &'b [u8]) -> Result<Reader<'b>> {
    let mut reader = Reader { bytes, position: 0 };
    if reader.byte()? != tag::VERSION {
      return Err(invalid());
    }
    let version = reader.varint()?;
    if !(13..=VERSION as u64).contains(&version) {
      return Err(Error::generic("Unable to deserialize cloned data due to invalid or unsupported version."));
    }
    Ok(reader)
  }

  pub fn byte(&mut self) -> Result<u8> {
    let byte = *self.bytes.get(self.position).ok_or_else(invalid)?;
    self.position += 1;
    Ok(byte)
  }

  /// The next tag, skipping padding, without consuming it.
  pub fn peek_tag(&mut self) -> Result<u8> {
    while self.bytes.get(self.position) == Some(&tag::PADDING) {
      self.position += 1;
    }
    self.bytes.get(self.position).copied().ok_or_else(invalid)
  }

  pub fn tag(&mut self) -> Result<u8> {
    let tag = self.peek_tag()?;
    self.position += 1;
    Ok(tag)
  }

  pub fn varint(&mut self) -> Result<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
      let byte = self.byte()?;
      if shift < 64 {
        value |= ((byte & 0x7F) as u64) << shift;
      }
      if byte & 0x80 == 0 {
        return Ok(value);
      }
      shift += 7;
    }
  }

  pub fn varint32(&mut self) -> Result<u32> {
    u32::try_from(self.varint()?).map_err(|_| invalid())
  }

  pub fn size(&mut self) -> Result<usize> {
    usize::try_from(self.varint()?).map_err(|_| invalid())
  }

  pub fn zigzag(&mut self) -> Result<i32> {
    let value = self.varint32()?;
    Ok(((value >> 1) as i32) ^ -((value & 1) as i32))
  }

  pub fn double(&mut self) -> Result<f64> {
    let raw = self.raw(8)?;
    Ok(f64::from_le_bytes(raw.try_into().expect("8 bytes")))
  }

  pub fn raw(&mut self, len: usize) -> Result<&'b [u8]> {
    let end = self.position.checked_add(len).filter(|&end| end <= self.bytes.len()).ok_or_else(invalid)?;
    let slice = &self.bytes[self.position..end];
    self.position = end;
    Ok(slice)
  }

  /// BigInt contents (after the tag): sign and 64-bit digits.
  pub fn bigint(&mut self) -> Result<(bool, Vec<u64>)> {
    let bitfield = self.varint32()?;
    let bytes = self.raw((bitfield >> 1) as usize)?;
    let words = bytes
      .chunks(8)
      .map(|chunk| {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        u64::from_le_bytes(word)
      })
      .collect();
    Ok((bitfield & 1 == 1, words))
  }
}
