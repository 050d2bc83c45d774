//! Rust values that Node-API keeps for us: the data of a function, the value a facade object
//! wraps, the owner of an external buffer's memory.
//!
//! Each is an `Arc` whose count is handed to Node-API as a raw pointer (`Arc::into_raw`) and
//! taken back by the finalizer that Node runs once the JavaScript value is collected. This file
//! is the only place where such pointers are made and turned back into values: the rest of the
//! crate sees safe functions (`Napi::function`, `wrap`, `unwrap`) and, where memory outside the
//! value is involved, `unsafe` ones that say what they need.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::ptr::null_mut;
use std::sync::{Arc, OnceLock};

use napi::sys;

use super::{call, check, throw_error, Napi, Value};
use crate::error::{catch_panic, Result};

/// An `Arc`'s count held through a raw pointer until Node-API takes it (`hand_over`). Dropped
/// before that (Node-API refused the pointer), it releases the count.
struct Native<T>(*const T);

impl<T> Native<T> {
  fn new(value: Arc<T>) -> Native<T> {
    Native(Arc::into_raw(value))
  }

  /// The pointer, for Node-API: from now on the finalizer given with it releases the count.
  fn hand_over(self) -> *mut c_void {
    ManuallyDrop::new(self).0 as *mut c_void
  }
}

impl<T> Drop for Native<T> {
  fn drop(&mut self) {
    // SAFETY: the pointer came from `Arc::into_raw` and its count was not handed over.
    drop(unsafe { Arc::from_raw(self.0) });
  }
}

/// The finalizer of a function's data or of an object's wrapped value (the pointer is `data`).
unsafe extern "C" fn release_data<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  // SAFETY: Node gives back, once, the pointer a `Native<T>` handed over with this finalizer.
  drop(unsafe { Arc::from_raw(data as *const T) });
}

/// The finalizer of an external ArrayBuffer (the pointer is `hint`; `data` is the memory).
unsafe extern "C" fn release_hint<T>(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
  // SAFETY: as for `release_data`.
  drop(unsafe { Arc::from_raw(hint as *const T) });
}

/// The most arguments a call reads; any after them are ignored.
pub const MAX_ARGS: usize = 12;

/// The arguments of a call from Node (the first `MAX_ARGS`).
pub struct Args {
  values: [Value; MAX_ARGS],
  count: usize,
}

impl Args {
  pub fn count(&self) -> usize {
    self.count
  }

  pub fn get(&self, index: usize) -> Option<Value> {
    (index < self.count).then(|| self.values[index])
  }
}

/// What a function made by `Napi::function` runs when called. The function owns the value.
pub trait Callback: 'static {
  /// Runs a call: the value returned is its result (`None`: undefined), an error is thrown.
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>>;
}

/// The Node-API callback of every function made by `Napi::function`.
unsafe extern "C" fn trampoline<T: Callback>(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  // SAFETY: Node calls a function's callback on its environment's thread, with that environment.
  let napi = unsafe { Napi::from_raw(env) };
  let result = catch_panic(|| {
    let mut values = [null_mut(); MAX_ARGS];
    let mut count = MAX_ARGS;
    let mut data = null_mut();
    call!(napi, napi_get_cb_info(info, &mut count, values.as_mut_ptr(), null_mut(), &mut data))?;
    // SAFETY: `Napi::function` made `data` the pointer of a `Native<T>`, released only once the
    // function is collected, which it cannot be while it runs.
    let value = unsafe { &*(data as *const T) };
    value.call(napi, Args { values, count: count.min(MAX_ARGS) })
  });
  match result {
    Ok(Some(value)) => value,
    Ok(None) => null_mut(),
    Err(error) => {
      throw_error(napi, error);
      null_mut()
    }
  }
}

/// A type whose values facade objects wrap (`Napi::wrap`), recognized by a Node-API type tag.
///
/// # Safety
/// `TAG` must be the type's own: `Napi::unwrap` takes any object bearing it for one that wraps
/// a value of this type.
pub unsafe trait Wrapped: 'static {
  const TAG: sys::napi_type_tag;
}

impl Napi {
  /// A JavaScript function named `name` that runs `value.call` when called, and owns `value`.
  pub fn function<T: Callback>(self, name: &str, value: Arc<T>) -> Result<Value> {
    let native = Native::new(value);
    let mut function = null_mut();
    let data = native.0 as *mut c_void;
    call!(self, napi_create_function(name.as_ptr().cast(), name.len() as isize, Some(trampoline::<T>), data, &mut function))?;
    // The function may be called with the pointer from now on: should the finalizer not be
    // attached, the value is leaked rather than freed under it.
    let data = native.hand_over();
    call!(self, napi_add_finalizer(function, data, Some(release_data::<T>), null_mut(), null_mut()))?;
    Ok(function)
  }

  /// Makes `object` own `value` and tags it as wrapping a `T`. `Ok(false)` if Node-API refused
  /// (the object already wraps a value, or is not an object).
  pub fn wrap<T: Wrapped>(self, object: Value, value: Arc<T>) -> Result<bool> {
    let native = Native::new(value);
    if call!(self, napi_wrap(object, native.0 as *mut c_void, Some(release_data::<T>), null_mut(), null_mut())).is_err() {
      return Ok(false);
    }
    native.hand_over();
    call!(self, napi_type_tag_object(object, &T::TAG))?;
    Ok(true)
  }

  /// The value that `wrap` gave an object, or `None` for any value not tagged as wrapping a `T`.
  pub fn unwrap<T: Wrapped>(self, value: Value) -> Result<Option<Arc<T>>> {
    let value_type = self.type_of(value)?;
    if value_type != sys::ValueType::napi_object && value_type != sys::ValueType::napi_function {
      return Ok(None);
    }
    let mut tagged = false;
    call!(self, napi_check_object_type_tag(value, &T::TAG, &mut tagged))?;
    if !tagged {
      return Ok(None);
    }
    let mut data = null_mut();
    call!(self, napi_unwrap(value, &mut data))?;
    // SAFETY: only `wrap::<T>` tags objects with `T::TAG` (the type's own, see `Wrapped`), once
    // their wrapped pointer is a `Native<T>`'s; that count is released only once the object is
    // collected, and `value` holds it now, so the count can be shared.
    let held = ManuallyDrop::new(unsafe { Arc::from_raw(data as *const T) });
    Ok(Some(Arc::clone(&held)))
  }

  /// An ArrayBuffer over the `len` bytes at `data`, which owns `owner` (released once the buffer
  /// is collected).
  ///
  /// # Safety
  /// The memory must stay valid, and be used by nothing else, until the buffer is collected or
  /// detached.
  pub unsafe fn external_arraybuffer<T: 'static>(self, data: *mut c_void, len: usize, owner: Arc<T>) -> Result<Value> {
    let native = Native::new(owner);
    let mut buffer = null_mut();
    let hint = native.0 as *mut c_void;
    call!(self, napi_create_external_arraybuffer(data, len, Some(release_hint::<T>), hint, &mut buffer))?;
    native.hand_over();
    Ok(buffer)
  }
}

type CreateExternalShared = unsafe extern "C" fn(
  env: sys::napi_env,
  data: *mut c_void,
  byte_length: usize,
  finalize: Option<unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void)>,
  hint: *mut c_void,
  result: *mut sys::napi_value,
) -> sys::napi_status;

/// `node_api_create_external_sharedarraybuffer`, which newer Node versions export (Node 24),
/// looked up at run time.
#[derive(Clone, Copy)]
pub struct ExternalShared(CreateExternalShared);

impl ExternalShared {
  /// The function, if this runtime has it.
  pub fn get() -> Option<ExternalShared> {
    static FUNCTION: OnceLock<Option<ExternalShared>> = OnceLock::new();
    *FUNCTION.get_or_init(|| {
      // SAFETY: a lookup in the symbols already loaded, with a NUL-terminated name.
      let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"node_api_create_external_sharedarraybuffer".as_ptr()) };
      // SAFETY: Node exports the function under this name with the signature of `CreateExternalShared`.
      (!symbol.is_null()).then(|| ExternalShared(unsafe { std::mem::transmute::<*mut c_void, CreateExternalShared>(symbol) }))
    })
  }

  /// A SharedArrayBuffer over the `len` bytes at `data`, which owns `owner`. Its finalizer may
  /// run on any thread, at any time (even during garbage collection), so `owner` is released on
  /// the reaper thread.
  ///
  /// # Safety
  /// The memory must stay valid until `owner` is released.
  pub unsafe fn create<T: Send + Sync + 'static>(self, napi: Napi, data: *mut c_void, len: usize, owner: Arc<T>) -> Result<Value> {
    let native = Native::new(owner);
    let mut result = null_mut();
    // SAFETY: a live environment of this thread (see `Napi`), memory valid as the caller
    // promises, a finalizer that takes `hint` back as a `Native<T>`'s pointer, a local result.
    let status = unsafe { (self.0)(napi.raw(), data, len, Some(release_shared::<T>), native.0 as *mut c_void, &mut result) };
    check(napi, status)?;
    native.hand_over();
    Ok(result)
  }
}

unsafe extern "C" fn release_shared<T: Send + Sync + 'static>(_data: *mut c_void, hint: *mut c_void) {
  // SAFETY: as for `release_data`.
  let owner = unsafe { Arc::from_raw(hint as *const T) };
  crate::isolate::registry::reap_later(Box::new(owner));
}
