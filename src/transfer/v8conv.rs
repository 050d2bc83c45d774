//! Values between our isolates and `Transferable`.

use std::sync::Arc;

use super::handle::Handle;
use super::options::{self, Shape, Source};
use super::promise::PromiseState;
use super::{
  serializer, CallMode, CallbackData, Primitive, RefData, RefTarget, Remote, Str, TransferOptions, TransferType, Transferable, TypeOf,
};
use crate::error::{catch_panic, msg, Error, ErrorData, ErrorKind, Result, Thrown};
use crate::isolate::{executor, native_box};

pub fn str_from_v8(scope: &v8::PinScope<'_, '_, ()>, s: v8::Local<v8::String>) -> Str {
  let len = s.length();
  if s.contains_only_onebyte() {
    let mut buf = vec![0u8; len];
    s.write_one_byte_v2(scope, 0, &mut buf, v8::WriteFlags::empty());
    Str::Latin1(buf)
  } else {
    let mut buf = vec![0u16; len];
    s.write_v2(scope, 0, &mut buf, v8::WriteFlags::empty());
    Str::Utf16(buf)
  }
}

pub fn str_to_v8<'s>(scope: &v8::PinScope<'s, '_, ()>, s: &Str) -> Result<v8::Local<'s, v8::String>> {
  let string = match s {
    Str::Latin1(bytes) => v8::String::new_from_one_byte(scope, bytes, v8::NewStringType::Normal),
    Str::Utf16(units) => v8::String::new_from_two_byte(scope, units, v8::NewStringType::Normal),
  };
  string.ok_or_else(|| Error::range_error("Invalid string length"))
}

pub fn string_to_v8<'s>(scope: &v8::PinScope<'s, '_, ()>, s: &str) -> Result<v8::Local<'s, v8::String>> {
  v8::String::new(scope, s).ok_or_else(|| Error::range_error("Invalid string length"))
}

/// Primitives are copied as they are; `None` for objects and symbols.
pub fn primitive_from_v8(scope: &v8::PinScope<'_, '_>, value: v8::Local<v8::Value>) -> Option<Primitive> {
  Some(if value.is_undefined() {
    Primitive::Undefined
  } else if value.is_null() {
    Primitive::Null
  } else if value.is_boolean() {
    Primitive::Bool(value.is_true())
  } else if value.is_number() {
    Primitive::Number(value.number_value(scope).unwrap_or(f64::NAN))
  } else if value.is_string() {
    Primitive::String(str_from_v8(scope, value.cast()))
  } else if value.is_big_int() {
    let bigint: v8::Local<v8::BigInt> = value.cast();
    let mut words = vec![0u64; bigint.word_count()];
    let (negative, _) = bigint.to_words_array(&mut words);
    Primitive::BigInt { negative, words }
  } else {
    return None;
  })
}

/// A Reference to `value`, from the current context of the current isolate.
pub fn reference_to(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>, inherit: bool) -> Result<Arc<RefData>> {
  let core = executor::entered()?;
  let context = scope.get_current_context();
  Ok(Arc::new(RefData {
    target: RefTarget::Isolate { value: Remote::new(&core, scope, value), context: Remote::new(&core, scope, context) },
    type_of: TypeOf::of(value),
    inherit,
    accessors: false,
  }))
}

/// A Callback around a function of the current isolate.
pub fn callback_to(scope: &mut v8::PinScope<'_, '_>, function: v8::Local<v8::Function>, mode: CallMode) -> Result<Arc<CallbackData>> {
  let name = function.get_name(scope).to_rust_string_lossy(scope);
  let length_key = string_to_v8(scope, "length")?;
  let length = function.get(scope, length_key.into()).and_then(|v| v.uint32_value(scope)).unwrap_or(0);
  let reference = reference_to(scope, function.into(), false)?;
  let Ok(reference) = Arc::try_unwrap(reference) else { unreachable!("a new reference is not shared") };
  Ok(Arc::new(CallbackData { function: reference.target, mode, name, length }))
}

/// Makes a value of the current isolate transferable (isolated-vm's `OptionalTransferOut`):
/// `None` when it is not transferable under these options.
pub fn from_v8(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>, options: TransferOptions) -> Result<Option<Transferable>> {
  options::transfer_out(&mut IsolateValue { scope, value }, options)
}

/// A value of the current isolate under the transfer rule.
struct IsolateValue<'a, 's, 'i, 'v> {
  scope: &'a mut v8::PinScope<'s, 'i>,
  value: v8::Local<'v, v8::Value>,
}

impl Source for IsolateValue<'_, '_, '_, '_> {
  fn promise(&mut self, options: TransferOptions) -> Result<Transferable> {
    promise_from_v8(self.scope, self.value, options)
  }
  fn shape(&mut self) -> Result<Shape> {
    Ok(if self.value.is_function() {
      Shape::Function
    } else if self.value.is_object() {
      Shape::Object
    } else {
      Shape::Other
    })
  }
  fn facade(&mut self) -> Result<Option<Arc<Handle>>> {
    super::facade::facade_handle(self.scope, self.value)
  }
  fn callback(&mut self) -> Result<Transferable> {
    Ok(Transferable::Callback(callback_to(self.scope, self.value.cast(), CallMode::Sync)?))
  }
  fn primitive(&mut self) -> Result<Option<Primitive>> {
    Ok(primitive_from_v8(self.scope, self.value))
  }
  fn reference(&mut self, inherit: bool) -> Result<Transferable> {
    Ok(Transferable::Reference(reference_to(self.scope, self.value, inherit)?))
  }
  fn copy(&mut self, kind: TransferType) -> Result<Transferable> {
    let data = serializer::copy_from_v8(self.scope, self.value, false, &[])?;
    Ok(match kind {
      TransferType::ExternalCopy => Transferable::ExternalCopy(data),
      _ => Transferable::Copy { data, transfer_in: false },
    })
  }
}

/// Like `from_v8`, but a non-transferable value is an error.
pub fn transfer_out(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>, options: TransferOptions) -> Result<Transferable> {
  from_v8(scope, value, options)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))
}

/// Rebuilds a transferred value in the current context of the current isolate.
pub fn to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, value: Transferable) -> Result<v8::Local<'s, v8::Value>> {
  Ok(match value {
    Transferable::Undefined => v8::undefined(scope).into(),
    Transferable::Null => v8::null(scope).into(),
    Transferable::Bool(b) => v8::Boolean::new(scope, b).into(),
    Transferable::Number(n) => v8::Number::new(scope, n).into(),
    Transferable::BigInt { negative, words } => {
      v8::BigInt::new_from_words(scope, negative, &words).ok_or_else(|| Error::range_error("Maximum BigInt size exceeded"))?.into()
    }
    Transferable::String(s) => str_to_v8(scope, &s)?.into(),
    Transferable::Dereference(data) => match &data.target {
      RefTarget::Isolate { value, .. } if executor::is_current(&value.core) => value.open(scope),
      _ => return Err(Error::type_error("Cannot dereference this into target isolate")),
    },
    // What derefInto() gave in another process is a Dereference of Node's object for it, which is
    // that object only in Node (which gives it on to its isolate).
    Transferable::Forwarded(data) if data.kind == super::handle::Kind::Dereference => {
      super::facade::facade_for(scope, Transferable::DereferenceHandle(data.target.clone()))?
    }
    Transferable::Callback(data) => super::facade::callback_function(scope, data)?.into(),
    Transferable::Copy { data, transfer_in } => serializer::copy_to_v8(scope, &data, transfer_in)?,
    Transferable::Promise(state) => {
      let core = executor::entered()?;
      let (settlement, promise) = super::settle::IsolatePromise::new(&core, scope, false)?;
      state.wait(move |result| settlement.settle(result));
      promise.into()
    }
    Transferable::Record(fields) => {
      let object = v8::Object::new(scope);
      for (name, field) in fields {
        let key = string_to_v8(scope, name)?;
        let field = to_v8(scope, field)?;
        object.create_data_property(scope, key.into(), field);
      }
      object.into()
    }
    Transferable::Extended(value, fields) => {
      let object = to_v8(scope, *value)?;
      if let Ok(target) = v8::Local::<v8::Object>::try_from(object) {
        for (name, field) in fields {
          let key = string_to_v8(scope, name)?;
          let field = to_v8(scope, field)?;
          target.create_data_property(scope, key.into(), field);
        }
      }
      object
    }
    Transferable::List(items) => {
      let mut elements = Vec::with_capacity(items.len());
      for item in items {
        elements.push(to_v8(scope, item)?);
      }
      v8::Array::new_with_elements(scope, &elements).into()
    }
    handle @ (Transferable::Isolate(_)
    | Transferable::Context(_)
    | Transferable::Script(_)
    | Transferable::Module(_)
    | Transferable::Session(_)
    | Transferable::Released(_)
    | Transferable::Reference(_)
    | Transferable::DereferenceHandle(_)
    | Transferable::ExternalCopy(_)
    | Transferable::Forwarded(_)
    | Transferable::CopyIntoHandle { .. }
    | Transferable::IvmModule
    | Transferable::Lib) => crate::transfer::facade::facade_for(scope, handle)?,
  })
}

fn error_property(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, name: &str) -> Option<String> {
  v8::tc_scope!(let tc, scope);
  let key = v8::String::new(tc, name)?;
  let value = object.get(tc, key.into())?;
  if value.is_undefined() {
    return None;
  }
  Some(value.to_string(tc)?.to_rust_string_lossy(tc))
}

/// The value a promise is rejected with for `error`; `here` are the frames of the call that
/// made the promise.
pub fn rejection<'s>(scope: &mut v8::PinScope<'s, '_>, error: Error, here: Option<String>) -> v8::Local<'s, v8::Value> {
  match error {
    Error::Thrown(thrown) => thrown_to_v8_at(scope, thrown, here),
    Error::Pending => v8::undefined(scope).into(),
  }
}

/// Flattens a thrown value (isolated-vm's `CopyThrownValue`): errors keep their type, message
/// and stack; primitives are copied; other objects become a generic error.
pub fn thrown_from_v8(scope: &mut v8::PinScope<'_, '_>, exception: v8::Local<v8::Value>) -> Thrown {
  if let Ok(object) = v8::Local::<v8::Object>::try_from(exception) {
    let constructor = object.get_constructor_name().to_rust_string_lossy(scope);
    let kind = ErrorKind::from_constructor_name(&constructor);
    let message = error_property(scope, object, "message");
    let stack = error_property(scope, object, "stack").map(without_facade_frames);
    if kind.is_some() || message.is_some() || stack.is_some() {
      let name = if kind.is_none() { error_property(scope, object, "name") } else { None };
      return Thrown::Error(ErrorData { kind: kind.unwrap_or(ErrorKind::Error), name, message: message.unwrap_or_default(), stack });
    }
  }
  match primitive_from_v8(scope, exception) {
    Some(value) => Thrown::Value(value),
    None => Thrown::Error(ErrorData { kind: ErrorKind::Error, name: None, message: msg::NOT_AN_ERROR.into(), stack: None }),
  }
}

pub fn error_to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, data: &ErrorData) -> v8::Local<'s, v8::Value> {
  let message = v8::String::new(scope, &data.message).unwrap_or_else(|| v8::String::empty(scope));
  let error = match data.kind {
    ErrorKind::TypeError => v8::Exception::type_error(scope, message),
    ErrorKind::RangeError => v8::Exception::range_error(scope, message),
    ErrorKind::ReferenceError => v8::Exception::reference_error(scope, message),
    ErrorKind::SyntaxError => v8::Exception::syntax_error(scope, message),
    ErrorKind::Error => v8::Exception::error(scope, message),
  };
  if let Ok(object) = v8::Local::<v8::Object>::try_from(error) {
    if let (Some(name), Some(key)) = (&data.name, v8::String::new(scope, "name")) {
      if let Some(value) = v8::String::new(scope, name) {
        object.define_own_property(scope, key.into(), value.into(), v8::PropertyAttribute::DONT_ENUM);
      }
    }
    if let (Some(stack), Some(key)) = (&data.stack, v8::String::new(scope, "stack")) {
      if let Some(value) = v8::String::new(scope, stack) {
        object.define_own_property(scope, key.into(), value.into(), v8::PropertyAttribute::DONT_ENUM);
      }
    }
  }
  error
}

/// How many frames of the receiving side a crossing error shows (V8's default stack limit).
const CALLER_FRAMES: usize = 10;

/// The current stack of the current isolate, for an error made or arriving here.
pub fn current_stack_trace<'s>(scope: &mut v8::PinScope<'s, '_>) -> Option<v8::Local<'s, v8::StackTrace>> {
  v8::StackTrace::current_stack_trace(scope, CALLER_FRAMES)
}

/// The frames of `trace` as isolated-vm renders them in `stack` ("\n    at ..." each), without
/// those of the in-isolate API (lib/facade/), which are of no use to users.
pub fn render_frames(scope: &mut v8::PinScope<'_, '_>, trace: v8::Local<v8::StackTrace>) -> String {
  let facade =
    executor::current().and_then(|core| core.locked.lock().facade_script.as_ref().map(|script| v8::Local::new(scope, script).script_id()));
  let mut frames = String::new();
  for index in 0..trace.get_frame_count() {
    let Some(frame) = trace.get_frame(scope, index) else { continue };
    if facade.is_some_and(|id| id as usize == frame.get_script_id()) {
      continue;
    }
    let file = frame.get_script_name_or_source_url(scope).map(|n| n.to_rust_string_lossy(scope)).filter(|n| !n.is_empty());
    let file = file.unwrap_or_else(|| if frame.is_eval() { "[eval]".to_string() } else { "<anonymous>".to_string() });
    let location = format!("{file}:{}:{}", frame.get_line_number(), frame.get_column());
    let function = frame.get_function_name(scope).map(|n| n.to_rust_string_lossy(scope)).filter(|n| !n.is_empty());
    frames.push_str("\n    at ");
    match (frame.is_constructor(), function) {
      (true, function) => frames.push_str(&format!("new {} ({location})", function.as_deref().unwrap_or("<anonymous>"))),
      (false, Some(function)) => frames.push_str(&format!("{function} ({location})")),
      (false, None) => frames.push_str(&location),
    }
  }
  frames
}

/// The frames of the current stack of the current isolate.
fn current_frames(scope: &mut v8::PinScope<'_, '_>) -> String {
  current_stack_trace(scope).map(|trace| render_frames(scope, trace)).unwrap_or_default()
}

/// A stack string of the facade's frames removed, for one coming out of an isolate: errors
/// thrown by the in-isolate API itself name its functions.
fn without_facade_frames(stack: String) -> String {
  let is_facade = |line: &str| {
    line.starts_with("    at ")
      && (line.contains(&format!("({}:", crate::transfer::facade::FACADE_NAME))
        || line.starts_with(&format!("    at {}:", crate::transfer::facade::FACADE_NAME)))
  };
  if !stack.lines().any(is_facade) {
    return stack;
  }
  stack.lines().filter(|line| !is_facade(line)).collect::<Vec<_>>().join("\n")
}

/// Rebuilds something thrown in another world as a value of the current isolate. Errors keep
/// the stack of the side that threw them, followed by `here` (frames of this isolate, "\n    at"
/// lines), by default its current stack.
pub fn thrown_to_v8_at<'s>(scope: &mut v8::PinScope<'s, '_>, thrown: Thrown, here: Option<String>) -> v8::Local<'s, v8::Value> {
  match thrown {
    Thrown::Error(mut data) => {
      let here = here.unwrap_or_else(|| current_frames(scope));
      data.stack = Some(data.crossing_stack(&here));
      error_to_v8(scope, &data)
    }
    Thrown::Value(value) => to_v8(scope, value.into()).unwrap_or_else(|_| v8::undefined(scope).into()),
  }
}

pub fn thrown_to_v8<'s>(scope: &mut v8::PinScope<'s, '_>, thrown: Thrown) -> v8::Local<'s, v8::Value> {
  thrown_to_v8_at(scope, thrown, None)
}

/// Throws `error` into the current isolate, unless an exception is already pending there.
pub fn throw(scope: &mut v8::PinScope<'_, '_>, error: Error) {
  if let Error::Thrown(thrown) = error {
    let value = thrown_to_v8(scope, thrown);
    scope.throw_exception(value);
  }
}

/// The `promise` transfer option: the outcome of `value` (a promise, or a value taken as
/// resolved), transferred with `options` once known.
fn promise_from_v8(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>, options: TransferOptions) -> Result<Transferable> {
  let state = PromiseState::new();
  let Ok(promise) = v8::Local::<v8::Promise>::try_from(value) else {
    state.settle(transfer_out(scope, value, options));
    return Ok(Transferable::Promise(state));
  };
  match promise.state() {
    v8::PromiseState::Fulfilled => {
      let result = promise.result(scope);
      state.settle(transfer_out(scope, result, options));
    }
    v8::PromiseState::Rejected => {
      // Its rejection is handled here: it is not the call's unhandled rejection any more.
      let handled = v8::Global::new(scope, promise);
      executor::entered()?.locked.lock().unhandled_rejections.retain(|p| *p != handled);
      let reason = promise.result(scope);
      state.settle(Err(Error::Thrown(thrown_from_v8(scope, reason))));
    }
    v8::PromiseState::Pending => {
      let handler = Arc::new((state.clone(), options));
      let data = native_box::wrap(scope, handler.clone());
      let on_fulfilled = v8::Function::builder(promise_fulfilled).data(data.into()).build(scope).ok_or(Error::Pending)?;
      let on_rejected = v8::Function::builder(promise_rejected).data(data.into()).build(scope).ok_or(Error::Pending)?;
      promise.then2(scope, on_fulfilled, on_rejected).ok_or(Error::Pending)?;
    }
  }
  Ok(Transferable::Promise(state))
}

type PromiseHandler = Arc<(Arc<PromiseState>, TransferOptions)>;

/// The handler of a function made by `promise_from_v8`.
fn handler(args: &v8::FunctionCallbackArguments) -> Option<PromiseHandler> {
  // SAFETY: the data of these functions is the buffer `promise_from_v8` made with `native_box::wrap`.
  v8::Local::<v8::ArrayBuffer>::try_from(args.data()).ok().and_then(|data| unsafe { native_box::get::<PromiseHandler>(data) })
}

fn promise_fulfilled<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  if let Some(handler) = handler(&args) {
    let result = catch_panic(|| transfer_out(scope, args.get(0), handler.1));
    handler.0.settle(result);
  }
}

fn promise_rejected<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  if let Some(handler) = handler(&args) {
    let thrown = thrown_from_v8(scope, args.get(0));
    handler.0.settle(Err(Error::Thrown(thrown)));
  }
}
