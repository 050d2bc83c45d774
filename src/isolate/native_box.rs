//! Rust values owned by an isolate's garbage collector.
//!
//! Weak handles are not available on shared isolates, so the only way to learn that JavaScript
//! no longer uses an object is a backing-store deleter: a value is boxed behind a one-byte
//! ArrayBuffer, and dropped when that buffer is collected. Such buffers are only ever stored
//! where JavaScript cannot reach them (function data, private properties).

use std::any::Any;
use std::ffi::c_void;

#[repr(C)]
struct NativeBox {
  /// The one byte the ArrayBuffer covers; never read.
  _byte: u8,
  value: Box<dyn Any + Send + Sync>,
}

/// Boxes `value`; it is dropped once the returned buffer is garbage collected.
pub fn wrap<'s, T: Any + Send + Sync>(scope: &v8::PinScope<'s, '_, ()>, value: T) -> v8::Local<'s, v8::ArrayBuffer> {
  let boxed = Box::into_raw(Box::new(NativeBox { _byte: 0, value: Box::new(value) }));
  // SAFETY: the box starts with the one byte the buffer covers, and lives until V8 calls
  // `release` (once, when the buffer is collected), which frees it.
  let store = unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(boxed.cast(), 1, release, std::ptr::null_mut()) };
  v8::ArrayBuffer::with_backing_store(scope, &store.make_shared())
}

/// The value boxed by `wrap`, if it is a `T`.
///
/// # Safety
/// `buffer` must come from `wrap`: nothing tells such a buffer from any other ArrayBuffer.
pub unsafe fn get<T: Any + Clone>(buffer: v8::Local<v8::ArrayBuffer>) -> Option<T> {
  let data = buffer.data()?;
  // SAFETY: the buffer's memory is a `NativeBox` (the caller's promise), alive while `buffer` is.
  let boxed = unsafe { &*(data.as_ptr() as *const NativeBox) };
  boxed.value.downcast_ref::<T>().cloned()
}

unsafe extern "C" fn release(data: *mut c_void, _len: usize, _deleter_data: *mut c_void) {
  // SAFETY: V8 calls the deleter once, with the pointer `wrap` leaked from a box.
  let boxed = unsafe { Box::from_raw(data as *mut NativeBox) };
  // Called from the garbage collector: drop the value elsewhere (it may hold V8 handles).
  super::registry::reap_later(Box::new(boxed));
}
