//! Callbacks arriving in an isolate: a V8 function that invokes a function of another world
//! (ops::callback).

use std::sync::Arc;

use super::front::V8Call;
use crate::error::{catch_panic, Error, Result};
use crate::isolate::native_box;
use crate::transfer::{v8conv, CallbackData};

/// A function of the current isolate that invokes the callback.
pub fn function_for<'s>(scope: &mut v8::PinScope<'s, '_>, data: Arc<CallbackData>) -> Result<v8::Local<'s, v8::Function>> {
  let name = v8conv::string_to_v8(scope, &data.name)?;
  let length = data.length as i32;
  let holder = native_box::wrap(scope, data);
  let function = v8::Function::builder(trampoline)
    .data(holder.into())
    .length(length)
    .constructor_behavior(v8::ConstructorBehavior::Throw)
    .build(scope)
    .ok_or(Error::Pending)?;
  function.set_name(name);
  Ok(function)
}

fn trampoline<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s, v8::Value>) {
  // SAFETY: the data of this function is the buffer `function_for` made with `native_box::wrap`.
  let data =
    v8::Local::<v8::ArrayBuffer>::try_from(args.data()).ok().and_then(|data| unsafe { native_box::get::<Arc<CallbackData>>(data) });
  let mut call = V8Call::new(scope, &args);
  let result = catch_panic(|| {
    let data = data.ok_or_else(Error::illegal_invocation)?;
    crate::ops::callback::invoke(&mut call, &data)
  });
  match result {
    Ok(()) => {
      if let Some(value) = call.take_return() {
        rv.set(value);
      }
    }
    Err(error) => v8conv::throw(call.scope(), error),
  }
}
