//! Thin, checked wrappers over the Node-API calls we use, and the only place that makes a `Napi`.
//!
//! Every call returns `Result`; a failed call with an exception pending becomes
//! `Error::Pending` so that the exception propagates untouched. `native` holds the Rust values
//! that Node-API keeps for us (function data, wrapped objects, external buffers).

pub mod native;

use std::ptr::null_mut;

use napi::sys;

use crate::error::{Error, ErrorKind, Result};
use crate::value::{Primitive, Str};

pub type Value = sys::napi_value;

/// Checks the status of a Node-API call made with `env`.
pub fn check(env: Napi, status: sys::napi_status) -> Result<()> {
  if status == sys::Status::napi_ok {
    return Ok(());
  }
  if env.exception_pending() || status == sys::Status::napi_pending_exception {
    Err(Error::Pending)
  } else {
    Err(Error::generic(format!("Node-API call failed with status {status}")))
  }
}

/// Calls a Node-API function with the environment `$env` (a `Napi`) and checks its status.
///
/// The arguments must be values of that environment (from the current call, or references'
/// values) and pointers to live locals or buffers of the size passed with them; every use in
/// this crate passes only such arguments, which is what the `unsafe` inside relies on.
macro_rules! call {
  ($env:expr, $f:ident($($arg:expr),* $(,)?)) => {
    $crate::host::napi::check(
      $env,
      // SAFETY: `$env` is a live environment of this thread (the invariant of `Napi`), and
      // the arguments are what `call!` asks of its users (see its documentation).
      unsafe { napi::sys::$f($env.raw(), $($arg),*) },
    )
  };
}
pub(crate) use call;

/// A Node-API environment, usable on its own thread while it is alive.
///
/// Only `from_raw` makes one, from an environment Node hands us; `napi_env` is a raw pointer,
/// so a `Napi` cannot be sent to another thread either (it is neither `Send` nor `Sync`).
#[derive(Clone, Copy)]
pub struct Napi(sys::napi_env);

impl Napi {
  /// Wraps an environment that Node handed us.
  ///
  /// # Safety
  /// `env` must be the environment of a Node call running on this thread (module
  /// initialization, a function's or a thread-safe function's callback) or, later on this
  /// thread, one still alive (see `NodeEnv::napi`); the `Napi` must not be used after that
  /// environment shut down.
  pub unsafe fn from_raw(env: sys::napi_env) -> Napi {
    Napi(env)
  }

  /// The raw environment, for Node-API calls (`call!`) and identity comparisons.
  pub fn raw(self) -> sys::napi_env {
    self.0
  }

  pub fn undefined(self) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_undefined(&mut v))?;
    Ok(v)
  }
  pub fn null(self) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_null(&mut v))?;
    Ok(v)
  }
  pub fn global(self) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_global(&mut v))?;
    Ok(v)
  }
  pub fn boolean(self, b: bool) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_boolean(b, &mut v))?;
    Ok(v)
  }
  pub fn number(self, n: f64) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_double(n, &mut v))?;
    Ok(v)
  }
  pub fn string_utf8(self, s: &str) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_string_utf8(s.as_ptr().cast(), s.len() as isize, &mut v))?;
    Ok(v)
  }
  pub fn string_utf16(self, s: &[u16]) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_string_utf16(s.as_ptr(), s.len() as isize, &mut v))?;
    Ok(v)
  }
  pub fn string_latin1(self, s: &[u8]) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_string_latin1(s.as_ptr().cast(), s.len() as isize, &mut v))?;
    Ok(v)
  }
  pub fn bigint_words(self, negative: bool, words: &[u64]) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_bigint_words(negative as i32, words.len(), words.as_ptr(), &mut v))?;
    Ok(v)
  }
  pub fn object(self) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_object(&mut v))?;
    Ok(v)
  }
  pub fn array(self, len: usize) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_create_array_with_length(len, &mut v))?;
    Ok(v)
  }

  pub fn type_of(self, v: Value) -> Result<sys::napi_valuetype> {
    let mut t = 0;
    call!(self, napi_typeof(v, &mut t))?;
    Ok(t)
  }
  pub fn is_array(self, v: Value) -> Result<bool> {
    let mut b = false;
    call!(self, napi_is_array(v, &mut b))?;
    Ok(b)
  }
  pub fn is_promise(self, v: Value) -> Result<bool> {
    let mut b = false;
    call!(self, napi_is_promise(v, &mut b))?;
    Ok(b)
  }
  pub fn get_bool(self, v: Value) -> Result<bool> {
    let mut b = false;
    call!(self, napi_get_value_bool(v, &mut b))?;
    Ok(b)
  }
  pub fn get_f64(self, v: Value) -> Result<f64> {
    let mut n = 0.0;
    call!(self, napi_get_value_double(v, &mut n))?;
    Ok(n)
  }
  pub fn get_utf16(self, v: Value) -> Result<Vec<u16>> {
    let mut len = 0usize;
    call!(self, napi_get_value_string_utf16(v, null_mut(), 0, &mut len))?;
    let mut buf: Vec<u16> = Vec::with_capacity(len + 1);
    let mut written = 0usize;
    call!(self, napi_get_value_string_utf16(v, buf.as_mut_ptr(), len + 1, &mut written))?;
    // SAFETY: Node-API wrote `written` (at most `len`) units into the buffer of `len + 1`.
    unsafe { buf.set_len(written) };
    Ok(buf)
  }
  /// A string as `Str`. ASCII (most code and data) is read in one pass as UTF-8, which V8
  /// writes fast from one-byte strings, into a buffer of one byte per UTF-16 unit: if all of it
  /// was written and is ASCII, that was the whole string (any other character takes more than
  /// one byte). Anything else is read again as UTF-16, which is exact (UTF-8 would replace lone
  /// surrogates).
  pub fn get_str(self, v: Value) -> Result<Str> {
    let mut units = 0usize;
    call!(self, napi_get_value_string_utf16(v, null_mut(), 0, &mut units))?;
    let mut buf: Vec<u8> = Vec::with_capacity(units + 1);
    let mut written = 0usize;
    call!(self, napi_get_value_string_utf8(v, buf.as_mut_ptr().cast(), units + 1, &mut written))?;
    // SAFETY: Node-API wrote `written` (at most `units`) bytes into the buffer of `units + 1`.
    unsafe { buf.set_len(written) };
    if written != units || !buf.is_ascii() {
      return Ok(Str::from_utf16(self.get_utf16(v)?));
    }
    Ok(Str::Latin1(buf))
  }
  pub fn get_string(self, v: Value) -> Result<String> {
    let mut len = 0usize;
    call!(self, napi_get_value_string_utf8(v, null_mut(), 0, &mut len))?;
    let mut buf: Vec<u8> = Vec::with_capacity(len + 1);
    let mut written = 0usize;
    call!(self, napi_get_value_string_utf8(v, buf.as_mut_ptr().cast(), len + 1, &mut written))?;
    // SAFETY: Node-API wrote `written` (at most `len`) bytes into the buffer of `len + 1`.
    unsafe { buf.set_len(written) };
    Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
  }
  /// A string in its narrowest encoding, as a Node string.
  pub fn str(self, s: &Str) -> Result<Value> {
    match s {
      Str::Latin1(bytes) => self.string_latin1(bytes),
      Str::Utf16(units) => self.string_utf16(units),
    }
  }
  /// A primitive value, or `None` for objects, functions and symbols.
  pub fn primitive(self, v: Value) -> Result<Option<Primitive>> {
    Ok(Some(match self.type_of(v)? {
      sys::ValueType::napi_undefined => Primitive::Undefined,
      sys::ValueType::napi_null => Primitive::Null,
      sys::ValueType::napi_boolean => Primitive::Bool(self.get_bool(v)?),
      sys::ValueType::napi_number => Primitive::Number(self.get_f64(v)?),
      sys::ValueType::napi_string => Primitive::String(self.get_str(v)?),
      sys::ValueType::napi_bigint => {
        let (negative, words) = self.get_bigint_words(v)?;
        Primitive::BigInt { negative, words }
      }
      _ => return Ok(None),
    }))
  }
  /// A primitive value as a Node value.
  pub fn primitive_value(self, primitive: &Primitive) -> Result<Value> {
    match primitive {
      Primitive::Undefined => self.undefined(),
      Primitive::Null => self.null(),
      Primitive::Bool(b) => self.boolean(*b),
      Primitive::Number(n) => self.number(*n),
      Primitive::BigInt { negative, words } => self.bigint_words(*negative, words),
      Primitive::String(s) => self.str(s),
    }
  }
  pub fn get_bigint_words(self, v: Value) -> Result<(bool, Vec<u64>)> {
    let mut count = 0usize;
    let mut sign = 0i32;
    call!(self, napi_get_value_bigint_words(v, null_mut(), &mut count, null_mut()))?;
    let mut words = vec![0u64; count];
    call!(self, napi_get_value_bigint_words(v, &mut sign, &mut count, words.as_mut_ptr()))?;
    words.truncate(count);
    Ok((sign != 0, words))
  }
  /// Runs `f` over the bytes of the Node `Buffer` (or other `Uint8Array`) `v`.
  pub fn with_buffer<T>(self, v: Value, f: impl FnOnce(&mut [u8]) -> T) -> Result<T> {
    let mut data = null_mut();
    let mut len = 0usize;
    call!(self, napi_get_buffer_info(v, &mut data, &mut len))?;
    if data.is_null() || len == 0 {
      return Ok(f(&mut []));
    }
    // SAFETY: Node-API gave the buffer's live storage, `len` bytes at `data`; `v` stays alive
    // while `f` runs (it is on this call's handle scope) and no JavaScript runs meanwhile.
    let bytes = unsafe { std::slice::from_raw_parts_mut(data.cast::<u8>(), len) };
    Ok(f(bytes))
  }
  pub fn array_len(self, v: Value) -> Result<u32> {
    let mut n = 0u32;
    call!(self, napi_get_array_length(v, &mut n))?;
    Ok(n)
  }

  pub fn get(self, object: Value, key: Value) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_property(object, key, &mut v))?;
    Ok(v)
  }
  pub fn get_named(self, object: Value, name: &str) -> Result<Value> {
    let key = self.string_utf8(name)?;
    self.get(object, key)
  }
  pub fn set(self, object: Value, key: Value, value: Value) -> Result<()> {
    call!(self, napi_set_property(object, key, value))
  }
  pub fn set_named(self, object: Value, name: &str, value: Value) -> Result<()> {
    let key = self.string_utf8(name)?;
    self.set(object, key, value)
  }
  /// Defines `name` on `object` as a value that is configurable only (as a function's `length`).
  pub fn define_configurable(self, object: Value, name: &str, value: Value) -> Result<()> {
    let key = self.string_utf8(name)?;
    let property = sys::napi_property_descriptor {
      utf8name: std::ptr::null(),
      name: key,
      method: None,
      getter: None,
      setter: None,
      value,
      attributes: sys::PropertyAttributes::configurable,
      data: null_mut(),
    };
    call!(self, napi_define_properties(object, 1, &property))
  }
  pub fn get_element(self, object: Value, index: u32) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_element(object, index, &mut v))?;
    Ok(v)
  }
  pub fn set_element(self, object: Value, index: u32, value: Value) -> Result<()> {
    call!(self, napi_set_element(object, index, value))
  }

  pub fn call(self, recv: Value, function: Value, args: &[Value]) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_call_function(recv, function, args.len(), args.as_ptr(), &mut v))?;
    Ok(v)
  }

  pub fn promise(self) -> Result<(sys::napi_deferred, Value)> {
    let mut deferred = null_mut();
    let mut promise = null_mut();
    call!(self, napi_create_promise(&mut deferred, &mut promise))?;
    Ok((deferred, promise))
  }
  pub fn settle(self, deferred: sys::napi_deferred, resolved: bool, value: Value) -> Result<()> {
    if resolved {
      call!(self, napi_resolve_deferred(deferred, value))
    } else {
      call!(self, napi_reject_deferred(deferred, value))
    }
  }

  pub fn error(self, kind: ErrorKind, message: &str) -> Result<Value> {
    let message = self.string_utf8(message)?;
    let mut v = null_mut();
    match kind {
      ErrorKind::TypeError => call!(self, napi_create_type_error(null_mut(), message, &mut v))?,
      ErrorKind::RangeError => call!(self, napi_create_range_error(null_mut(), message, &mut v))?,
      ErrorKind::Error => call!(self, napi_create_error(null_mut(), message, &mut v))?,
      other => {
        // Node-API has no constructor for the other kinds: look them up on the global object.
        let ctor = self.get_named(self.global()?, other.constructor_name())?;
        call!(self, napi_new_instance(ctor, 1, &message, &mut v))?;
      }
    }
    Ok(v)
  }
  pub fn throw(self, value: Value) -> Result<()> {
    call!(self, napi_throw(value))
  }
  pub fn exception_pending(self) -> bool {
    let mut pending = false;
    // SAFETY: a live environment of this thread (the invariant of `Napi`); a local out-pointer.
    unsafe { sys::napi_is_exception_pending(self.0, &mut pending) };
    pending
  }
  /// Takes the pending exception (there must be one).
  pub fn take_exception(self) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_and_clear_last_exception(&mut v))?;
    Ok(v)
  }

  pub fn reference(self, value: Value) -> Result<sys::napi_ref> {
    let mut r = null_mut();
    call!(self, napi_create_reference(value, 1, &mut r))?;
    Ok(r)
  }
  pub fn deref(self, reference: sys::napi_ref) -> Result<Value> {
    let mut v = null_mut();
    call!(self, napi_get_reference_value(reference, &mut v))?;
    Ok(v)
  }
  /// Deletes a reference of this environment made by `reference`, which is not used again.
  pub fn delete_reference(self, reference: sys::napi_ref) {
    // SAFETY: as documented, a live reference of this live environment, deleted once.
    unsafe { sys::napi_delete_reference(self.0, reference) };
  }

  pub fn open_scope(self) -> Result<sys::napi_handle_scope> {
    let mut scope = null_mut();
    call!(self, napi_open_handle_scope(&mut scope))?;
    Ok(scope)
  }
  /// Closes a scope that `open_scope` opened, the innermost one still open.
  pub fn close_scope(self, scope: sys::napi_handle_scope) {
    // SAFETY: as documented, the innermost open scope of this live environment.
    unsafe { sys::napi_close_handle_scope(self.0, scope) };
  }
}

/// Converts an error to a JavaScript value and throws it, unless one is already pending.
pub fn throw_error(env: Napi, error: Error) {
  match error {
    Error::Pending => {}
    Error::Thrown(thrown) => {
      if env.exception_pending() {
        return;
      }
      match super::errors::thrown_to_napi(env, thrown, None) {
        Ok(value) => {
          let _ = env.throw(value);
        }
        Err(_) => {
          if !env.exception_pending() {
            // SAFETY: a live environment of this thread; a NUL-terminated static message.
            unsafe { sys::napi_throw_error(env.0, null_mut(), c"isolated-vm: failed to build an error".as_ptr()) };
          }
        }
      }
    }
  }
}
