//! Facade objects in Node: the JavaScript instances of isolated-vm's classes, each wrapping a
//! native `Handle`.
//!
//! The facade (lib/facade/) registers a factory that creates an instance of a class without
//! running its public constructor; the native side then attaches the handle with `napi_wrap`
//! and tags the object so that it can be recognized (and not forged) later.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::Arc;

use napi::sys;

use super::napi::{call, Napi, Value};
use super::NodeEnv;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::transfer::Transferable;

static TAG: sys::napi_type_tag = sys::napi_type_tag { lower: 0x6976_6d2d_7273_2d68, upper: 0x616e_646c_6521_0001 };

/// Attaches `handle` to a facade object.
pub fn bind(napi: Napi, object: Value, handle: Handle) -> Result<()> {
  let boxed = Box::into_raw(Box::new(Arc::new(handle)));
  let wrapped = call!(napi, napi_wrap(object, boxed.cast(), Some(finalize), null_mut(), null_mut()));
  if wrapped.is_err() {
    drop(unsafe { Box::from_raw(boxed) });
    return Err(Error::type_error("Object is already an isolated-vm object"));
  }
  call!(napi, napi_type_tag_object(object, &TAG))
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  drop(unsafe { Box::from_raw(data as *mut Arc<Handle>) });
}

/// The handle of a facade object, or `None` for any other value.
pub fn unwrap(napi: Napi, value: Value) -> Result<Option<Arc<Handle>>> {
  let value_type = napi.type_of(value)?;
  if value_type != sys::ValueType::napi_object && value_type != sys::ValueType::napi_function {
    return Ok(None);
  }
  let mut tagged = false;
  call!(napi, napi_check_object_type_tag(value, &TAG, &mut tagged))?;
  if !tagged {
    return Ok(None);
  }
  let mut data = null_mut();
  call!(napi, napi_unwrap(value, &mut data))?;
  Ok(Some(unsafe { &*(data as *const Arc<Handle>) }.clone()))
}

/// A new facade instance for a transferred isolated-vm object.
pub fn create(napi: Napi, value: Transferable) -> Result<Value> {
  let handle = Handle::from_transferable(&value).ok_or_else(|| Error::type_error(crate::error::msg::NON_TRANSFERABLE))?;
  let kind = handle.kind().expect("transferables that become facades have a class") as u32;
  let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  let factory = env.state.lock().factory.as_ref().map(|f| f.get(napi)).transpose()?.ok_or_else(NodeEnv::gone_error)?;
  let kind = napi.number(kind as f64)?;
  let object = napi.call(napi.undefined()?, factory, &[kind])?;
  bind(napi, object, handle)?;
  Ok(object)
}
