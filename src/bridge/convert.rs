//! Values between Node and `Transferable`.

use std::sync::{Arc, OnceLock};

use napi::sys;

use super::facade;
use super::napi::{call, Napi, Value};
use super::{NodeEnv, NodeRef};
use crate::error::{msg, Error, ErrorData, ErrorKind, Result, Thrown};
use crate::transfer::{CallMode, CallbackData, RefData, RefTarget, Str, TransferOptions, TransferType, Transferable, TypeOf};

/// What the Node front-end (src/node) gives the conversions when the addon loads: how a
/// Callback becomes a Node function (its Node-API callback is the front-end's), and the names of
/// the binding's functions, whose frames some runtimes list in stacks.
pub struct FrontEnd {
  pub callback: fn(Napi, Arc<CallbackData>) -> Result<Value>,
  pub binding_names: Vec<&'static str>,
}

static FRONT_END: OnceLock<FrontEnd> = OnceLock::new();

/// Sets the front-end; called when the addon loads (the first call counts).
pub fn register(front: FrontEnd) {
  let _ = FRONT_END.set(front);
}

fn front_end() -> Result<&'static FrontEnd> {
  FRONT_END.get().ok_or_else(|| Error::generic("isolated-vm: the Node binding is not set up"))
}

fn env_of_thread() -> Result<Arc<NodeEnv>> {
  NodeEnv::current().ok_or_else(NodeEnv::gone_error)
}

/// Primitives are copied; `None` for objects, functions and symbols.
pub fn primitive_from_napi(napi: Napi, value: Value) -> Result<Option<Transferable>> {
  Ok(Some(match napi.type_of(value)? {
    sys::ValueType::napi_undefined => Transferable::Undefined,
    sys::ValueType::napi_null => Transferable::Null,
    sys::ValueType::napi_boolean => Transferable::Bool(napi.get_bool(value)?),
    sys::ValueType::napi_number => Transferable::Number(napi.get_f64(value)?),
    sys::ValueType::napi_string => Transferable::String(napi.get_str(value)?),
    sys::ValueType::napi_bigint => {
      let (negative, words) = napi.get_bigint_words(value)?;
      Transferable::BigInt { negative, words }
    }
    _ => return Ok(None),
  }))
}

pub fn type_of(napi: Napi, value: Value) -> Result<TypeOf> {
  Ok(match napi.type_of(value)? {
    sys::ValueType::napi_undefined => TypeOf::Undefined,
    sys::ValueType::napi_null => TypeOf::Null,
    sys::ValueType::napi_boolean => TypeOf::Boolean,
    sys::ValueType::napi_number => TypeOf::Number,
    sys::ValueType::napi_string => TypeOf::String,
    sys::ValueType::napi_function => TypeOf::Function,
    _ => TypeOf::Object,
  })
}

/// A Reference to a value of this Node environment.
pub fn reference_to(napi: Napi, value: Value, inherit: bool) -> Result<Arc<RefData>> {
  let env = env_of_thread()?;
  Ok(Arc::new(RefData {
    target: RefTarget::Node(Arc::new(NodeRef::new(napi, &env, value)?)),
    type_of: type_of(napi, value)?,
    inherit,
    accessors: false,
  }))
}

/// A Callback around a function of this Node environment.
pub fn callback_to(napi: Napi, function: Value, mode: CallMode) -> Result<Arc<CallbackData>> {
  let env = env_of_thread()?;
  let name = napi.get_named(function, "name").and_then(|n| napi.get_string(n)).unwrap_or_default();
  let length = napi.get_named(function, "length").and_then(|n| napi.get_f64(n)).unwrap_or(0.0);
  Ok(Arc::new(CallbackData {
    function: RefTarget::Node(Arc::new(NodeRef::new(napi, &env, function)?)),
    mode,
    name,
    length: if length.is_finite() && length >= 0.0 { length as u32 } else { 0 },
  }))
}

/// Makes a Node value transferable (isolated-vm's `OptionalTransferOut`).
pub fn from_napi(napi: Napi, value: Value, options: TransferOptions) -> Result<Option<Transferable>> {
  if options.promise {
    return super::promise::promise_from_napi(napi, value, TransferOptions { promise: false, ..options }).map(Some);
  }
  let kind = if options.kind == TransferType::None {
    let value_type = napi.type_of(value)?;
    if value_type == sys::ValueType::napi_object || value_type == sys::ValueType::napi_function {
      if let Some(handle) = facade::unwrap(napi, value)? {
        return handle.transfer_out().map(Some);
      }
      if value_type == sys::ValueType::napi_function {
        return Ok(Some(Transferable::Callback(callback_to(napi, value, CallMode::Sync)?)));
      }
    }
    if let Some(primitive) = primitive_from_napi(napi, value)? {
      return Ok(Some(primitive));
    }
    options.fallback
  } else {
    options.kind
  };
  match kind {
    TransferType::None => Ok(None),
    TransferType::Reference => Ok(Some(Transferable::Reference(reference_to(napi, value, false)?))),
    TransferType::DeepReference => Ok(Some(Transferable::Reference(reference_to(napi, value, true)?))),
    TransferType::Copy => match primitive_from_napi(napi, value)? {
      Some(primitive) => Ok(Some(primitive)),
      None => super::copy::copy_out(napi, value, kind).map(Some),
    },
    TransferType::ExternalCopy => super::copy::copy_out(napi, value, kind).map(Some),
  }
}

/// Like `from_napi`, but a non-transferable value is an error.
pub fn transfer_out(napi: Napi, value: Value, options: TransferOptions) -> Result<Transferable> {
  from_napi(napi, value, options)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))
}

pub fn str_to_napi(napi: Napi, s: &Str) -> Result<Value> {
  match s {
    Str::Latin1(bytes) => napi.string_latin1(bytes),
    Str::Utf16(units) => napi.string_utf16(units),
  }
}

/// Rebuilds a transferred value in this Node environment.
pub fn to_napi(napi: Napi, value: Transferable) -> Result<Value> {
  match value {
    Transferable::Undefined => napi.undefined(),
    Transferable::Null => napi.null(),
    Transferable::Bool(b) => napi.boolean(b),
    Transferable::Number(n) => napi.number(n),
    Transferable::BigInt { negative, words } => napi.bigint_words(negative, &words),
    Transferable::String(s) => str_to_napi(napi, &s),
    Transferable::Dereference(data) => match &data.target {
      RefTarget::Node(node_ref) if node_ref.env.is_current_thread() => node_ref.get(napi),
      _ => Err(Error::type_error("Cannot dereference this into target isolate")),
    },
    Transferable::Callback(data) => (front_end()?.callback)(napi, data),
    Transferable::Copy { data, transfer_in } => super::copy::copy_into_napi(napi, &data, transfer_in),
    Transferable::Promise(state) => super::promise::promise_to_napi(napi, &state),
    Transferable::Record(fields) => {
      let object = napi.object()?;
      for (name, field) in fields {
        let field = to_napi(napi, field)?;
        napi.set_named(object, name, field)?;
      }
      Ok(object)
    }
    Transferable::Extended(value, fields) => {
      let object = to_napi(napi, *value)?;
      for (name, field) in fields {
        let field = to_napi(napi, field)?;
        napi.set_named(object, name, field)?;
      }
      Ok(object)
    }
    Transferable::List(items) => {
      let array = napi.array(items.len())?;
      for (index, item) in items.into_iter().enumerate() {
        let item = to_napi(napi, item)?;
        napi.set_element(array, index as u32, item)?;
      }
      Ok(array)
    }
    Transferable::IvmModule => {
      let env = env_of_thread()?;
      let lib = env.state.lock().lib.as_ref().map(|lib| lib.get(napi)).transpose()?;
      lib.ok_or_else(NodeEnv::gone_error)
    }
    handle => facade::create(napi, handle),
  }
}

fn string_property(napi: Napi, object: Value, name: &str) -> Option<String> {
  let value = napi.get_named(object, name).ok()?;
  if napi.type_of(value).ok()? == sys::ValueType::napi_undefined {
    return None;
  }
  let mut string = std::ptr::null_mut();
  if call!(napi, napi_coerce_to_string(value, &mut string)).is_err() {
    let _ = napi.take_exception();
    return None;
  }
  napi.get_string(string).ok()
}

/// Flattens a value thrown in Node (isolated-vm's `CopyThrownValue`).
pub fn thrown_from_napi(napi: Napi, value: Value) -> Thrown {
  let is_object = matches!(napi.type_of(value), Ok(sys::ValueType::napi_object) | Ok(sys::ValueType::napi_function));
  if is_object {
    let constructor = napi.get_named(value, "constructor").ok().and_then(|c| string_property(napi, c, "name")).unwrap_or_default();
    let kind = ErrorKind::from_constructor_name(&constructor);
    let message = string_property(napi, value, "message");
    let stack = string_property(napi, value, "stack").map(|stack| without_facade_frames(&stack));
    if kind.is_some() || message.is_some() || stack.is_some() {
      let name = if kind.is_none() { string_property(napi, value, "name") } else { None };
      return Thrown::Error(ErrorData { kind: kind.unwrap_or(ErrorKind::Error), name, message: message.unwrap_or_default(), stack });
    }
  }
  match primitive_from_napi(napi, value) {
    Ok(Some(primitive)) => Thrown::Value(Box::new(primitive)),
    _ => Thrown::Error(ErrorData { kind: ErrorKind::Error, name: None, message: msg::NOT_AN_ERROR.into(), stack: None }),
  }
}

/// Takes the exception pending in Node and flattens it, so that it can cross to another world.
pub fn take_thrown(napi: Napi, error: Error) -> Error {
  match error {
    Error::Pending => match napi.take_exception() {
      Ok(exception) => Error::Thrown(thrown_from_napi(napi, exception)),
      Err(error) => error,
    },
    thrown => thrown,
  }
}

/// The frames of a Node error's stack ("    at ..." lines, each after a newline), without the
/// facade's own frames.
fn frames_of(napi: Napi, error: Value) -> Option<String> {
  let stack = string_property(napi, error, "stack")?;
  let frames = without_facade_frames(&stack);
  Some(frames.find("\n    at ").map_or_else(String::new, |start| frames[start..].to_string()))
}

/// The frames of the current Node stack, for errors coming from isolates.
fn current_stack(napi: Napi) -> Option<String> {
  frames_of(napi, napi.error(ErrorKind::Error, "").ok()?)
}

/// A Node stack without the frames of lib/facade.js, which are of no use to users, nor those of
/// the binding's own functions (which Bun lists, as `at contextEval (unknown)`).
fn without_facade_frames(stack: &str) -> String {
  let facade_file = NodeEnv::current().and_then(|env| env.state.lock().facade_file.clone());
  let Some(facade_file) = facade_file else { return stack.to_string() };
  let is_binding_frame = |line: &str| {
    let name = line.strip_prefix("    at ").and_then(|rest| rest.strip_suffix(" (unknown)"));
    name.is_some_and(|name| FRONT_END.get().is_some_and(|front| front.binding_names.contains(&name)))
  };
  stack
    .lines()
    .filter(|line| {
      let facade_frame = line.starts_with("    at ") && line.contains(&facade_file);
      !facade_frame && !is_binding_frame(line)
    })
    .collect::<Vec<_>>()
    .join("\n")
}

/// Where in Node an async call was made: an error object created then. V8 records its stack
/// when it is created and renders it only when read, which happens only if the call fails.
pub struct CallSite(sys::napi_ref);

// SAFETY: the reference is only used on its environment's thread: the completion holding it
// reads and deletes it in a job posted to that environment.
unsafe impl Send for CallSite {}

impl CallSite {
  pub fn capture(napi: Napi) -> Result<CallSite> {
    let error = napi.error(ErrorKind::Error, "")?;
    Ok(CallSite(napi.reference(error)?))
  }

  /// The frames of the call site, if `wanted`; the call site is released either way.
  pub fn frames(self, napi: Napi, wanted: bool) -> Option<String> {
    let frames = if wanted { napi.deref(self.0).ok().and_then(|error| frames_of(napi, error)) } else { None };
    napi.delete_reference(self.0);
    frames
  }
}

/// Builds a Node value for something thrown elsewhere. Errors get the stack of the side that
/// threw them followed by `caller_stack`, the frames of the Node code that called (by default
/// the current Node stack), as isolated-vm renders them.
pub fn thrown_to_napi(napi: Napi, thrown: Thrown, caller_stack: Option<String>) -> Result<Value> {
  match thrown {
    Thrown::Error(data) => {
      let error = napi.error(data.kind, &data.message)?;
      if let Some(name) = &data.name {
        define_hidden(napi, error, "name", napi.string_utf8(name)?)?;
      }
      let here = caller_stack.or_else(|| current_stack(napi)).unwrap_or_default();
      define_hidden(napi, error, "stack", napi.string_utf8(&data.crossing_stack(&here))?)?;
      Ok(error)
    }
    Thrown::Value(value) => to_napi(napi, *value),
  }
}

fn define_hidden(napi: Napi, object: Value, name: &str, value: Value) -> Result<()> {
  let name = std::ffi::CString::new(name).expect("property names have no NUL");
  let descriptor = sys::napi_property_descriptor {
    utf8name: name.as_ptr(),
    name: std::ptr::null_mut(),
    method: None,
    getter: None,
    setter: None,
    value,
    attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
    data: std::ptr::null_mut(),
  };
  call!(napi, napi_define_properties(object, 1, &descriptor))
}

/// The JavaScript value for an error; a pending exception is taken as it is.
pub fn error_to_napi(napi: Napi, error: Error) -> Result<Value> {
  error_to_napi_at(napi, error, None)
}

/// Like `error_to_napi`, for a call made from Node code with the frames `caller_stack`.
pub fn error_to_napi_at(napi: Napi, error: Error, caller_stack: Option<String>) -> Result<Value> {
  match error {
    Error::Pending => napi.take_exception(),
    Error::Thrown(thrown) => thrown_to_napi(napi, thrown, caller_stack),
  }
}
