//! Callbacks arriving in Node: a function that invokes a function of another world.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::Arc;

use napi::sys;

use super::front::NodeCall;
use super::napi::{call, throw_error, Napi, Value};
use crate::error::{catch_panic, Result};
use crate::transfer::{CallMode, CallbackData, RefTarget};

pub fn function_for(napi: Napi, data: Arc<CallbackData>) -> Result<Value> {
  // A synchronous callback of this very environment is just its function.
  if let (RefTarget::Node(function), CallMode::Sync) = (&data.function, data.mode) {
    if function.env.is_current_thread() {
      return function.get(napi);
    }
  }
  let name = data.name.clone();
  let boxed = Box::into_raw(Box::new(data));
  let function = napi.function(&name, Some(trampoline), boxed.cast())?;
  call!(napi, napi_add_finalizer(function, boxed.cast(), Some(finalize), null_mut(), null_mut()))?;
  Ok(function)
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  drop(unsafe { Box::from_raw(data as *mut Arc<CallbackData>) });
}

unsafe extern "C" fn trampoline(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let (mut call, data) = unsafe { NodeCall::new(napi, info)? };
    let data = unsafe { &*(data as *const Arc<CallbackData>) }.clone();
    crate::ops::callback::invoke(&mut call, &data)?;
    Ok(call.take_return())
  });
  match result {
    Ok(Some(value)) => value,
    Ok(None) => null_mut(),
    Err(error) => {
      throw_error(napi, error);
      null_mut()
    }
  }
}
