//! Callbacks arriving in Node: a function that invokes a function of another world.

use std::sync::Arc;

use super::front::NodeCall;
use crate::error::Result;
use crate::host::napi::native::{Args, Callback};
use crate::host::napi::{Napi, Value};
use crate::transfer::{CallMode, CallbackData, RefTarget};

pub fn function_for(napi: Napi, data: Arc<CallbackData>) -> Result<Value> {
  // A synchronous callback of this very environment is just its function.
  if let (RefTarget::Node(function), CallMode::Sync) = (&data.function, data.mode) {
    if function.env.is_current_thread() {
      return function.get(napi);
    }
  }
  let (name, length) = (data.name.clone(), data.length);
  let function = napi.function(&name, data)?;
  // The original function's length, as V8 gives it to functions of isolates (src/inner/callback.rs).
  napi.define_configurable(function, "length", napi.number(length as f64)?)?;
  Ok(function)
}

impl Callback for CallbackData {
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>> {
    let mut call = NodeCall::new(napi, args)?;
    crate::ops::callback::invoke(&mut call, self)?;
    Ok(call.take_return())
  }
}
