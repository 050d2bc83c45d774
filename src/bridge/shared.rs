//! SharedArrayBuffers created by our isolates, seen from Node.
//!
//! Wrapping outside memory in a Node SharedArrayBuffer needs
//! `node_api_create_external_sharedarraybuffer`, which newer Node versions export (Node 24).
//! It is looked up at run time; without it, such memory cannot be shared with Node.

use std::ptr::null_mut;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::host::napi::native::ExternalShared;
use crate::host::napi::{Napi, Value};
use crate::transfer::buffer::SharedMemory;

/// A Node SharedArrayBuffer over memory of our isolates.
pub fn external_shared_array_buffer(napi: Napi, memory: Arc<SharedMemory>) -> Result<Value> {
  let create = ExternalShared::get().ok_or_else(|| {
    Error::type_error("This runtime cannot share a SharedArrayBuffer created inside an isolate (Node.js 24 or later can)")
  })?;
  let SharedMemory::Store { store, .. } = &*memory else {
    return Err(Error::type_error("This SharedArrayBuffer belongs to another Node.js thread"));
  };
  let data = store.data().map_or(null_mut(), |p| p.as_ptr());
  let len = store.byte_length();
  // SAFETY: the memory is the backing store's, which `memory` keeps alive until it is released.
  unsafe { create.create(napi, data, len, memory.clone()) }
}
