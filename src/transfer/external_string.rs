//! Long strings of ExternalCopy instances, kept outside the V8 heap of the isolate they are
//! copied into, as isolated-vm does: V8 does not copy them around when it compacts its heap, and
//! their memory counts against the isolate's limit (`externally_allocated_size`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use super::{buffer, v8conv, Str};
use crate::error::{Error, Result};
use crate::isolate::executor;
use crate::isolate::memory::MemoryLimit;

/// Strings shorter than this (in bytes) are copied onto the heap, like isolated-vm does.
pub const MIN_BYTES: usize = 1024;

/// The budget each external string's memory is charged to, by the address of its characters
/// (V8 gives a string's destructor only the address and the length).
fn charges() -> &'static Mutex<HashMap<usize, Arc<MemoryLimit>>> {
  static CHARGES: OnceLock<Mutex<HashMap<usize, Arc<MemoryLimit>>>> = OnceLock::new();
  CHARGES.get_or_init(Default::default)
}

fn byte_len(s: &Str) -> usize {
  match s {
    Str::Latin1(bytes) => bytes.len(),
    Str::Utf16(units) => units.len() * 2,
  }
}

/// A string of the current isolate with these characters: external when long enough.
pub fn to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, s: &Str) -> Result<v8::Local<'s, v8::String>> {
  let len = byte_len(s);
  let chars = match s {
    Str::Latin1(bytes) => bytes.len(),
    Str::Utf16(units) => units.len(),
  };
  // Too long for V8 is refused by the on-heap path (V8 would leak a refused external string).
  let Some(core) = executor::current().filter(|_| len >= MIN_BYTES && chars <= v8::String::MAX_LENGTH) else {
    return v8conv::str_to_v8(scope, s);
  };
  buffer::make_room(scope, len)?;
  core.memory.adjust_external(len as isize);
  let string = match s {
    Str::Latin1(bytes) => {
      let data = Box::into_raw(bytes.clone().into_boxed_slice()) as *mut u8;
      charges().lock().insert(data as usize, core.memory.clone());
      // SAFETY: `data` is a leaked box of `bytes.len()` Latin-1 characters, which V8 owns from
      // now on and gives back to `release_one_byte`.
      unsafe { v8::String::new_external_onebyte_raw(scope, data.cast(), bytes.len(), release_one_byte) }
    }
    Str::Utf16(units) => {
      let data = Box::into_raw(units.clone().into_boxed_slice()) as *mut u16;
      charges().lock().insert(data as usize, core.memory.clone());
      // SAFETY: as above, with `units.len()` UTF-16 code units, given back to `release_two_byte`.
      unsafe { v8::String::new_external_twobyte_raw(scope, data, units.len(), release_two_byte) }
    }
  };
  string.ok_or(Error::Pending)
}

fn uncharge(data: usize, len: usize) {
  if let Some(limit) = charges().lock().remove(&data) {
    limit.adjust_external(-(len as isize));
  }
}

unsafe extern "C" fn release_one_byte(data: *mut std::ffi::c_char, len: usize) {
  uncharge(data as usize, len);
  // SAFETY: made from a boxed slice of `len` bytes by `to_v8`.
  drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data as *mut u8, len)) });
}

unsafe extern "C" fn release_two_byte(data: *mut u16, len: usize) {
  uncharge(data as usize, len * 2);
  // SAFETY: made from a boxed slice of `len` code units by `to_v8`.
  drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, len)) });
}
