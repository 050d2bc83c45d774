//! Errors between Node and the other worlds: flattening what Node code threw so that it can
//! cross (`thrown_from_napi`, `take_thrown`), building Node errors for what was thrown elsewhere
//! with the stacks of both sides (`thrown_to_napi`), and where an async call was made from
//! (`CallSite`).

use std::sync::OnceLock;

use napi::sys;

use super::napi::{call, Napi, Value};
use super::NodeEnv;
use crate::error::{msg, Error, ErrorData, ErrorKind, Result, Thrown};

static BINDING_NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();

/// The names of the binding's functions, whose frames some runtimes list in stacks (Bun: `at
/// contextEval (unknown)`), given by the Node front-end when the addon loads.
pub fn register_binding_names(names: Vec<&'static str>) {
  let _ = BINDING_NAMES.set(names);
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
  match napi.primitive(value) {
    Ok(Some(primitive)) => Thrown::Value(primitive),
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
    name.is_some_and(|name| BINDING_NAMES.get().is_some_and(|names| names.contains(&name)))
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
    Thrown::Value(value) => napi.primitive_value(&value),
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
