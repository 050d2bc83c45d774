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
  let name = data.name.clone();
  napi.function(&name, data)
}

impl Callback for CallbackData {
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>> {
    let mut call = NodeCall::new(napi, args)?;
    crate::ops::callback::invoke(&mut call, self)?;
    Ok(call.take_return())
  }
}
