//! The `promise` transfer option on the Node side.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::Arc;

use napi::sys;

use super::convert::{thrown_from_napi, transfer_out};
use super::front::NodeCall;
use super::napi::{call, Napi, Value};
use super::NodeEnv;
use crate::error::{catch_panic, Error, Result};
use crate::ops::completion::Completion;
use crate::transfer::promise::PromiseState;
use crate::transfer::{TransferOptions, Transferable};

type Handler = (Arc<PromiseState>, TransferOptions);

/// The outcome of a Node value (a promise, or a value taken as resolved), transferred with
/// `options` once known.
pub fn promise_from_napi(napi: Napi, value: Value, options: TransferOptions) -> Result<Transferable> {
  let state = PromiseState::new();
  if !napi.is_promise(value)? {
    state.settle(transfer_out(napi, value, options));
    return Ok(Transferable::Promise(state));
  }
  let fulfilled = handler_function(napi, "fulfilled", Some(fulfilled), (state.clone(), options))?;
  let rejected = handler_function(napi, "rejected", Some(rejected), (state.clone(), options))?;
  let then = napi.get_named(value, "then")?;
  napi.call(value, then, &[fulfilled, rejected])?;
  Ok(Transferable::Promise(state))
}

fn handler_function(napi: Napi, name: &str, callback: sys::napi_callback, handler: Handler) -> Result<Value> {
  let data = Box::into_raw(Box::new(handler));
  let function = napi.function(name, callback, data.cast())?;
  call!(napi, napi_add_finalizer(function, data.cast(), Some(release), null_mut(), null_mut()))?;
  Ok(function)
}

unsafe extern "C" fn release(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  drop(unsafe { Box::from_raw(data as *mut Handler) });
}

fn settle(env: sys::napi_env, info: sys::napi_callback_info, resolved: bool) -> sys::napi_value {
  let napi = Napi(env);
  let _ = catch_panic(|| {
    let (call, data) = unsafe { NodeCall::new(napi, info)? };
    let handler = unsafe { &*(data as *const Handler) };
    let value = call.arg_value(0);
    let outcome = if resolved {
      transfer_out(napi, value, handler.1).map_err(|error| super::convert::take_thrown(napi, error))
    } else {
      Err(Error::Thrown(thrown_from_napi(napi, value)))
    };
    handler.0.settle(outcome);
    Ok(())
  });
  null_mut()
}

unsafe extern "C" fn fulfilled(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  settle(env, info, true)
}

unsafe extern "C" fn rejected(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  settle(env, info, false)
}

/// A new Node promise settled with the outcome.
pub fn promise_to_napi(napi: Napi, state: &PromiseState) -> Result<Value> {
  let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  let (deferred, promise) = napi.promise()?;
  state.wait(Completion::node(env.clone(), deferred, env.hold(napi), None));
  Ok(promise)
}
