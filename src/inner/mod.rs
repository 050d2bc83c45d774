//! The isolated-vm API inside our isolates.
//!
//! Isolate code gets the same classes as Node: the facade's JavaScript runs in the context over
//! a binding made of V8 functions. An instance's native `Handle` is kept in a private property
//! (invisible to JavaScript), boxed so that the isolate's garbage collector frees it.

pub mod front;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::isolate::native_box;
use crate::transfer::{Transferable, TransferType};

fn handle_key<'s>(scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Private> {
  let name = v8::String::new(scope, "isolated-vm:handle").expect("short string");
  v8::Private::for_api(scope, Some(name))
}

/// The handle of a facade object of the current isolate, or `None` for any other value.
pub fn facade_handle(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>) -> Result<Option<Arc<Handle>>> {
  let Ok(object) = v8::Local::<v8::Object>::try_from(value) else { return Ok(None) };
  let key = handle_key(scope);
  let Some(holder) = object.get_private(scope, key) else { return Ok(None) };
  Ok(v8::Local::<v8::ArrayBuffer>::try_from(holder).ok().and_then(native_box::get::<Arc<Handle>>))
}

/// Attaches `handle` to a facade object of the current isolate.
pub fn bind(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, handle: Handle) -> Result<()> {
  if facade_handle(scope, object.into())?.is_some() {
    return Err(Error::type_error("Object is already an isolated-vm object"));
  }
  let key = handle_key(scope);
  let holder = native_box::wrap(scope, Arc::new(handle));
  object.set_private(scope, key, holder.into());
  Ok(())
}

/// A facade instance of the current context for a transferred isolated-vm object.
pub fn facade_for<'s>(_scope: &mut v8::PinScope<'s, '_>, _value: Transferable) -> Result<v8::Local<'s, v8::Value>> {
  Err(Error::type_error("isolated-vm objects cannot be passed into isolates yet"))
}

/// A structured-clone copy of a value of the current isolate.
pub fn copy_out(_scope: &mut v8::PinScope<'_, '_>, _value: v8::Local<v8::Value>, _kind: TransferType) -> Result<Transferable> {
  Err(Error::type_error("Copying objects is not supported yet"))
}
