//! Module initialization: the binding object that lib/ builds the public API on.

use std::ffi::c_void;
use std::ptr::null_mut;

use napi::sys;

use super::front::trampoline;
use super::napi::{call, throw_error, Napi};
use super::{NodeEnv, NodeRef};
use crate::error::{catch_panic, Result};

/// Fills `exports` with the binding functions. Runs once per Node environment (the main thread
/// and each worker thread that loads the addon).
pub fn init(napi: Napi, exports: sys::napi_value) -> Result<()> {
  NodeEnv::register(napi)?;
  for (name, function) in crate::api::FUNCTIONS {
    let value = napi.function(name, Some(trampoline), *function as *mut c_void)?;
    napi.set_named(exports, name, value)?;
  }
  let setup = napi.function("setup", Some(setup), null_mut())?;
  napi.set_named(exports, "setup", setup)?;
  let setup_host = napi.function("setupHost", Some(setup_host), null_mut())?;
  napi.set_named(exports, "setupHost", setup_host)?;
  let is_handle = napi.function("isHandle", Some(is_handle), null_mut())?;
  napi.set_named(exports, "isHandle", is_handle)?;
  let is_external = napi.function("isExternal", Some(is_external), null_mut())?;
  napi.set_named(exports, "isExternal", is_external)
}

/// Reads the first arguments of a Node-only binding function.
fn arguments<const N: usize>(napi: Napi, info: sys::napi_callback_info) -> Result<[sys::napi_value; N]> {
  let mut args = [null_mut(); N];
  let mut argc = N;
  call!(napi, napi_get_cb_info(info, &mut argc, args.as_mut_ptr(), null_mut(), null_mut()))?;
  for arg in args.iter_mut().skip(argc) {
    *arg = napi.undefined()?;
  }
  Ok(args)
}

fn finish(napi: Napi, result: Result<sys::napi_value>) -> sys::napi_value {
  match result {
    Ok(value) => value,
    Err(error) => {
      throw_error(napi, error);
      null_mut()
    }
  }
}

/// `binding.setupHost(host)`: the copy helpers of lib/host.js.
unsafe extern "C" fn setup_host(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let [host] = arguments::<1>(napi, info)?;
    let node_env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
    node_env.state.lock().host = Some(NodeRef::new(napi, &node_env, host)?);
    napi.undefined()
  });
  finish(napi, result)
}

/// `binding.isHandle(value)`: whether a value is an isolated-vm object.
unsafe extern "C" fn is_handle(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let [value] = arguments::<1>(napi, info)?;
    napi.boolean(super::facade::unwrap(napi, value)?.is_some())
  });
  finish(napi, result)
}

/// `binding.setup(factory, lib, facadeFile)`: the facade registers the function that creates
/// instances of its classes, the module object (so that `ivm` itself can be transferred), and its
/// file (whose frames are left out of stack traces).
unsafe extern "C" fn setup(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let args = arguments::<3>(napi, info)?;
    let node_env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
    let factory = NodeRef::new(napi, &node_env, args[0])?;
    let lib = NodeRef::new(napi, &node_env, args[1])?;
    super::facade::bind(napi, args[1], crate::handle::Handle::Lib)?;
    let facade_file = match napi.type_of(args[2])? {
      sys::ValueType::napi_string => Some(napi.get_string(args[2])?),
      _ => None,
    };
    let mut state = node_env.state.lock();
    state.factory = Some(factory);
    state.lib = Some(lib);
    state.facade_file = facade_file;
    napi.undefined()
  });
  finish(napi, result)
}

/// `binding.isExternal(arrayBuffer)`: whether an ArrayBuffer's memory is ours (see node::copy).
unsafe extern "C" fn is_external(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let [value] = arguments::<1>(napi, info)?;
    napi.boolean(super::copy::is_external(napi, value)?)
  });
  finish(napi, result)
}
