//! SharedArrayBuffers created by our isolates, seen from Node.
//!
//! Wrapping outside memory in a Node SharedArrayBuffer needs
//! `node_api_create_external_sharedarraybuffer`, which newer Node versions export (Node 24).
//! It is looked up at run time; without it, such memory cannot be shared with Node.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::{Arc, OnceLock};

use napi::sys;

use super::napi::{check, Napi, Value};
use crate::error::{Error, Result};
use crate::transfer::buffer::SharedMemory;

type CreateExternal = unsafe extern "C" fn(
  env: sys::napi_env,
  data: *mut c_void,
  byte_length: usize,
  finalize: Option<unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void)>,
  hint: *mut c_void,
  result: *mut sys::napi_value,
) -> sys::napi_status;

fn create_external() -> Option<CreateExternal> {
  static FUNCTION: OnceLock<Option<CreateExternal>> = OnceLock::new();
  *FUNCTION.get_or_init(|| {
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"node_api_create_external_sharedarraybuffer".as_ptr()) };
    (!symbol.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, CreateExternal>(symbol) })
  })
}

/// A Node SharedArrayBuffer over memory of our isolates.
pub fn external_shared_array_buffer(napi: Napi, memory: Arc<SharedMemory>) -> Result<Value> {
  let create = create_external().ok_or_else(|| {
    Error::type_error("This runtime cannot share a SharedArrayBuffer created inside an isolate (Node.js 24 or later can)")
  })?;
  let SharedMemory::Store { store, .. } = &*memory else {
    return Err(Error::type_error("This SharedArrayBuffer belongs to another Node.js thread"));
  };
  let data = store.data().map_or(null_mut(), |p| p.as_ptr());
  let len = store.byte_length();
  let holder = Box::into_raw(Box::new(memory));
  let mut result = null_mut();
  let status = unsafe { create(napi.0, data, len, Some(release), holder.cast(), &mut result) };
  if status != sys::Status::napi_ok {
    drop(unsafe { Box::from_raw(holder) });
  }
  check(napi.0, status)?;
  Ok(result)
}

unsafe extern "C" fn release(_data: *mut c_void, hint: *mut c_void) {
  // May run on any thread, at any time (even during garbage collection).
  crate::isolate::registry::reap_later(Box::new(unsafe { Box::from_raw(hint as *mut Arc<SharedMemory>) }));
}
