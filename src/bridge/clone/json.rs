//! The fast way to rebuild the most common copies: data made only of plain objects, dense
//! arrays, strings, finite numbers, booleans and null, with no object reached twice, is exactly
//! what `JSON.parse` of its JSON text makes. Turning the serialized bytes into that text is a
//! quick pass here, and the host's `JSON.parse` builds the objects much faster than Node-API
//! calls can.

use std::io::Write;

use super::wire::{tag, Reader};
use crate::error::Result;

/// The JSON text (in Latin-1) of a serialized value, or `None` when JSON cannot express it.
pub fn text(bytes: &[u8]) -> Option<Vec<u8>> {
  let mut reader = Reader::new(bytes).ok()?;
  let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4);
  value(&mut reader, &mut out).ok()??;
  Some(out)
}

/// What is left to close, innermost last.
enum Open {
  Object,
  Array {
    left: u32,
    length: u32,
  },
  /// An array written by its keys (as V8 writes arrays that ever had holes): JSON when the keys
  /// are exactly its indices, in order.
  KeyedArray {
    next: u32,
    length: u32,
  },
}

/// Writes one value; `Ok(None)` when it cannot be JSON. Nested values are handled with an
/// explicit stack, so deep data cannot overflow the native one.
fn value(reader: &mut Reader, out: &mut Vec<u8>) -> Result<Option<()>> {
  let mut stack: Vec<(Open, bool)> = Vec::new();
  loop {
    // Close what is complete, and write the separator before the next item.
    loop {
      match stack.last_mut() {
        None => break,
        Some((Open::Object, first)) => {
          if reader.peek_tag()? == tag::END_JS_OBJECT {
            reader.tag()?;
            reader.varint()?;
            out.push(b'}');
            stack.pop();
            if stack.is_empty() {
              return Ok(Some(()));
            }
            continue;
          }
          separate(out, first);
          if key(reader, out)?.is_none() {
            return Ok(None);
          }
          out.push(b':');
          break;
        }
        Some((Open::Array { left, length }, first)) => {
          if *left == 0 {
            let length = *length;
            if reader.tag()? != tag::END_DENSE_JS_ARRAY || reader.varint()? != 0 || reader.varint32()? != length {
              return Ok(None);
            }
            out.push(b']');
            stack.pop();
            if stack.is_empty() {
              return Ok(Some(()));
            }
            continue;
          }
          *left -= 1;
          separate(out, first);
          break;
        }
        Some((Open::KeyedArray { next, length }, first)) => {
          let (index, length) = (*next, *length);
          if reader.peek_tag()? == tag::END_SPARSE_JS_ARRAY {
            reader.tag()?;
            if index != length || reader.varint32()? != length || reader.varint32()? != length {
              return Ok(None);
            }
            out.push(b']');
            stack.pop();
            if stack.is_empty() {
              return Ok(Some(()));
            }
            continue;
          }
          let key = match reader.tag()? {
            tag::INT32 => reader.zigzag()? as i64,
            tag::UINT32 => reader.varint32()? as i64,
            _ => return Ok(None),
          };
          if key != index as i64 {
            return Ok(None);
          }
          *next += 1;
          separate(out, first);
          break;
        }
      }
    }
    match reader.tag()? {
      tag::NULL => out.extend_from_slice(b"null"),
      tag::TRUE => out.extend_from_slice(b"true"),
      tag::FALSE => out.extend_from_slice(b"false"),
      tag::INT32 => write_int(out, reader.zigzag()? as i64),
      tag::UINT32 => write_int(out, reader.varint32()? as i64),
      tag::DOUBLE => {
        let number = reader.double()?;
        if !number.is_finite() {
          return Ok(None);
        }
        if number == number.trunc() && number.abs() < 1e15 {
          if number == 0.0 && number.is_sign_negative() {
            out.push(b'-');
          }
          write_int(out, number as i64);
        } else {
          // Rust writes the shortest digits that read back as the same number.
          let _ = write!(out, "{number:e}");
        }
      }
      width @ (tag::ONE_BYTE_STRING | tag::TWO_BYTE_STRING) => {
        if string(reader, width, out)?.is_none() {
          return Ok(None);
        }
      }
      tag::BEGIN_JS_OBJECT => {
        out.push(b'{');
        stack.push((Open::Object, true));
        continue;
      }
      tag::BEGIN_DENSE_JS_ARRAY => {
        let length = reader.varint32()?;
        out.push(b'[');
        stack.push((Open::Array { left: length, length }, true));
        continue;
      }
      tag::BEGIN_SPARSE_JS_ARRAY => {
        let length = reader.varint32()?;
        out.push(b'[');
        stack.push((Open::KeyedArray { next: 0, length }, true));
        continue;
      }
      _ => return Ok(None),
    }
    if stack.is_empty() {
      return Ok(Some(()));
    }
  }
}

/// A string of either width, as JSON; `None` for a two-byte string of an odd byte length.
fn string(reader: &mut Reader, width: u8, out: &mut Vec<u8>) -> Result<Option<()>> {
  let len = reader.size()?;
  let bytes = reader.raw(len)?;
  if width == tag::ONE_BYTE_STRING {
    one_byte_string(out, bytes);
  } else if len % 2 != 0 {
    return Ok(None);
  } else {
    two_byte_string(out, bytes);
  }
  Ok(Some(()))
}

/// A property key: a string, or an integer (the keys of integer-indexed properties).
fn key(reader: &mut Reader, out: &mut Vec<u8>) -> Result<Option<()>> {
  match reader.tag()? {
    width @ (tag::ONE_BYTE_STRING | tag::TWO_BYTE_STRING) => return string(reader, width, out),
    tag::INT32 => quoted_int(out, reader.zigzag()? as i64),
    tag::UINT32 => quoted_int(out, reader.varint32()? as i64),
    _ => return Ok(None),
  }
  Ok(Some(()))
}

fn write_int(out: &mut Vec<u8>, value: i64) {
  if value < 0 {
    out.push(b'-');
  }
  let mut digits = [0u8; 20];
  let mut at = digits.len();
  let mut rest = value.unsigned_abs();
  loop {
    at -= 1;
    digits[at] = b'0' + (rest % 10) as u8;
    rest /= 10;
    if rest == 0 {
      break;
    }
  }
  out.extend_from_slice(&digits[at..]);
}

fn quoted_int(out: &mut Vec<u8>, value: i64) {
  out.push(b'"');
  write_int(out, value);
  out.push(b'"');
}

fn escape(out: &mut Vec<u8>, unit: u16) {
  let _ = write!(out, "\\u{unit:04x}");
}

fn one_byte_string(out: &mut Vec<u8>, bytes: &[u8]) {
  out.push(b'"');
  if bytes.iter().all(|&byte| byte >= 0x20 && byte != b'"' && byte != b'\\') {
    out.extend_from_slice(bytes);
    out.push(b'"');
    return;
  }
  for &byte in bytes {
    match byte {
      b'"' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
      0..=0x1f => escape(out, byte as u16),
      _ => out.push(byte),
    }
  }
  out.push(b'"');
}

/// UTF-16 contents, with every unit beyond Latin-1 escaped (lone surrogates included, which
/// `JSON.parse` keeps as they are).
fn two_byte_string(out: &mut Vec<u8>, bytes: &[u8]) {
  out.push(b'"');
  for pair in bytes.chunks_exact(2) {
    let unit = u16::from_le_bytes([pair[0], pair[1]]);
    match unit {
      0x22 | 0x5c => out.extend_from_slice(&[b'\\', unit as u8]),
      0..=0x1f | 0x100.. => escape(out, unit),
      _ => out.push(unit as u8),
    }
  }
  out.push(b'"');
}

/// Writes the comma before an item of an object or array but its first.
fn separate(out: &mut Vec<u8>, first: &mut bool) {
  if !*first {
    out.push(b',');
  }
  *first = false;
}
