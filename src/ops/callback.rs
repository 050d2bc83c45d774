//! Calling a function of another world through a Callback.
//!
//! A Callback arrives in a world as a plain function. Calling it copies the arguments (as
//! ExternalCopy would), calls the original function in its own world with `this` undefined, and
//! copies the result back; in async mode the caller gets a promise, in ignored mode undefined.

use std::sync::Arc;

use super::{dispatch, reference, Mode};
use crate::error::{catch_panic, Error, Result};
use crate::inner::front::V8Call;
use crate::isolate::native_box;
use crate::ops::front::Front;
use crate::transfer::{v8conv, CallMode, CallbackData, TransferOptions, TransferType, Transferable};

const COPY: TransferOptions = TransferOptions { kind: TransferType::Copy, fallback: TransferType::None, promise: false };

/// Invokes the callback with the caller's arguments, in the callback's mode.
pub fn invoke(front: &mut dyn Front, data: &CallbackData) -> Result<()> {
  let mut arguments = Vec::with_capacity(front.argc());
  for index in 0..front.argc() {
    arguments.push(front.transferable(index, COPY)?.unwrap_or(Transferable::Undefined));
  }
  let result = if data.mode == CallMode::Ignored { TransferOptions::NONE } else { COPY };
  let work = reference::apply(&data.function, Transferable::Undefined, arguments, 0, result);
  let mode = match data.mode {
    CallMode::Sync => Mode::Sync,
    CallMode::Async => Mode::Async,
    CallMode::Ignored => Mode::Ignored,
  };
  dispatch(front, mode, work)
}

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
    invoke(&mut call, &data)
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
