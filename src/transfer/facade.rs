//! Facade objects inside our isolates, as conversions see them: the JavaScript instances of
//! isolated-vm's classes that the facade makes in a context (src/inner sets the facade up), each
//! holding its native `Handle` in an internal field, boxed so that the isolate's garbage
//! collector frees it. Recognizing one needs nothing of the facade; making one needs the facade
//! of the context, which src/inner provides (`register`).

use std::sync::{Arc, OnceLock};

use super::handle::Handle;
use super::{CallbackData, Transferable};
use crate::error::{Error, Result};
use crate::isolate::native_box;

/// The script name of the facade inside isolates (its frames are left out of crossing stacks).
pub const FACADE_NAME: &str = "isolated-vm";

/// The private key of the module object's handle (set by src/inner when the facade starts).
pub const LIB_HANDLE: &str = "isolated-vm:lib-handle";

/// What the API's front-end inside isolates (src/inner) gives conversions when the addon loads:
/// how facade instances are made in a context, and how a Callback becomes a V8 function (its V8
/// callback is the front-end's).
pub struct Makers {
  /// The facade instance of the current context for a transferred isolated-vm object.
  pub facade: for<'s, 'i> fn(&mut v8::PinScope<'s, 'i>, Transferable) -> Result<v8::Local<'s, v8::Value>>,
  /// A function of the current isolate that invokes the callback.
  pub callback: for<'s, 'i> fn(&mut v8::PinScope<'s, 'i>, Arc<CallbackData>) -> Result<v8::Local<'s, v8::Function>>,
}

static MAKERS: OnceLock<Makers> = OnceLock::new();

/// Sets the makers; called once, when the addon loads.
pub fn register(makers: Makers) {
  let _ = MAKERS.set(makers);
}

fn makers() -> Result<&'static Makers> {
  MAKERS.get().ok_or_else(|| Error::generic("isolated-vm: the API inside isolates is not set up"))
}

/// A facade instance of the current context for a transferred isolated-vm object (or the
/// module object itself for `Transferable::IvmModule`).
pub fn facade_for<'s>(scope: &mut v8::PinScope<'s, '_>, value: Transferable) -> Result<v8::Local<'s, v8::Value>> {
  (makers()?.facade)(scope, value)
}

/// A function of the current isolate that invokes the callback.
pub fn callback_function<'s>(scope: &mut v8::PinScope<'s, '_>, data: Arc<CallbackData>) -> Result<v8::Local<'s, v8::Function>> {
  (makers()?.callback)(scope, data)
}

pub fn private<'s>(scope: &mut v8::PinScope<'s, '_>, name: &str) -> v8::Local<'s, v8::Private> {
  let name = v8::String::new(scope, name).expect("short string");
  v8::Private::for_api(scope, Some(name))
}

/// The handle of a facade object of the current isolate, or `None` for any other value.
pub fn facade_handle(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<v8::Value>) -> Result<Option<Arc<Handle>>> {
  let Ok(object) = v8::Local::<v8::Object>::try_from(value) else { return Ok(None) };
  if object.internal_field_count() == 0 {
    return Ok(lib_handle(scope, object));
  }
  let holder = object.get_internal_field(scope, 0).and_then(|field| v8::Local::<v8::Value>::try_from(field).ok());
  let holder = holder.and_then(|holder| v8::Local::<v8::ArrayBuffer>::try_from(holder).ok());
  // SAFETY: only `bind` puts an ArrayBuffer in an internal field, one made by `native_box::wrap`
  // (JavaScript cannot set internal fields, and V8's own objects keep none there).
  Ok(holder.and_then(|holder| unsafe { native_box::get::<Arc<Handle>>(holder) }))
}

/// Attaches `handle` to a facade object of the current isolate.
pub fn bind(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, handle: Handle) -> Result<()> {
  if object.internal_field_count() == 0 {
    return Err(Error::illegal_invocation());
  }
  if facade_handle(scope, object.into())?.is_some() {
    return Err(Error::type_error("Object is already an isolated-vm object"));
  }
  let holder = native_box::wrap(scope, Arc::new(handle));
  object.set_internal_field(0, holder.into());
  Ok(())
}

/// The handle of the module object of the current isolate, if `value` is it.
fn lib_handle(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>) -> Option<Arc<Handle>> {
  let key = private(scope, LIB_HANDLE);
  let holder = object.get_private(scope, key)?;
  // SAFETY: only `setup` sets this private property (JavaScript cannot reach private symbols),
  // to a buffer made by `native_box::wrap`.
  v8::Local::<v8::ArrayBuffer>::try_from(holder).ok().and_then(|holder| unsafe { native_box::get::<Arc<Handle>>(holder) })
}
