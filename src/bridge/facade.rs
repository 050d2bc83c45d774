//! Facade objects in Node: the JavaScript instances of isolated-vm's classes, each wrapping a
//! native `Handle`.
//!
//! The facade (lib/facade/) registers a factory that creates an instance of a class without
//! running its public constructor; the native side then attaches the handle (`Napi::wrap`) and
//! tags the object so that it can be recognized (and not forged) later.

use std::sync::Arc;

use napi::sys;

use crate::error::{Error, Result};
use crate::host::napi::native::Wrapped;
use crate::host::napi::{Napi, Value};
use crate::host::NodeEnv;
use crate::transfer::handle::Handle;
use crate::transfer::Transferable;

// SAFETY: this tag marks facade objects only; no other type is wrapped with it.
unsafe impl Wrapped for Handle {
  const TAG: sys::napi_type_tag = sys::napi_type_tag { lower: 0x6976_6d2d_7273_2d68, upper: 0x616e_646c_6521_0001 };
}

/// Attaches `handle` to a facade object.
pub fn bind(napi: Napi, object: Value, handle: Handle) -> Result<()> {
  if !napi.wrap(object, Arc::new(handle))? {
    return Err(Error::type_error("Object is already an isolated-vm object"));
  }
  Ok(())
}

/// The handle of a facade object, or `None` for any other value.
pub fn unwrap(napi: Napi, value: Value) -> Result<Option<Arc<Handle>>> {
  napi.unwrap(value)
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
