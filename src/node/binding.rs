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
  napi.set_named(exports, "setup", setup)
}

/// `binding.setup(factory, lib, facadeFile)`: the facade registers the function that creates
/// instances of its classes, the module object (so that `ivm` itself can be transferred), and its
/// file (whose frames are left out of stack traces).
unsafe extern "C" fn setup(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let mut args = [null_mut(); 3];
    let mut argc = 3usize;
    call!(napi, napi_get_cb_info(info, &mut argc, args.as_mut_ptr(), null_mut(), null_mut()))?;
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
    Ok(())
  });
  if let Err(error) = result {
    throw_error(napi, error);
  }
  null_mut()
}
