//! isolated-vm in Rust: a Node-API addon embedding its own V8.
//!
//! Layout, lowest layer first:
//! - `error`; `platform`: starting V8 once per process; `flags`: the V8 flags applied before that.
//! - `isolate`: our isolates (limits, locking, task queues, the worker pool, timers, `Remote`,
//!   and the typed extensions in which higher layers keep their per-isolate state).
//! - `inspector`: the V8 inspector of an isolate (DevTools sessions, the profiler's domain).
//! - `transfer`: what crosses between worlds (`Transferable`, the shared data behind objects,
//!   `handle`: the native state behind each facade object) and its conversions for isolates,
//!   facade objects inside isolates among them (`transfer::facade`).
//! - `host`: Node as the layers above see it: environments, values held across threads,
//!   Node-API, and the conversions of Node values.
//! - `ops`: the operations behind the API, independent of the caller's world, and `Front`, what
//!   a binding function reads its arguments from and answers to, in either world.
//! - `api`: the binding functions the JavaScript facade calls, written once for both worlds, and
//!   the protocol the facade checks at start (`api::protocol`).
//! - `node` and `inner`: the two front-ends, in Node and inside isolates: the binding objects,
//!   the `Front` of their calls, and the native callbacks that reach other worlds. What lower
//!   layers make through them (Callback functions, facade objects) they register at load.
//!
//! Not yet a straight line: an error may carry a thrown `Transferable`; `transfer` holds
//! `host::NodeRef` (the Node runtime and the conversions of Node values still share `host`);
//! promises of async calls are settled by `ops::completion`, which `host` and `transfer` (by
//! `IsolateCore::completion`) use.
//!
//! Every `unsafe` block and impl says why it is sound in a `// SAFETY:` comment (clippy checks).

#![deny(clippy::undocumented_unsafe_blocks)]

mod api;
mod error;
mod flags;
mod host;
mod inner;
mod inspector;
mod isolate;
mod node;
mod ops;
mod platform;
mod transfer;

use napi::JsValue;

#[napi_derive::napi(module_exports)]
pub fn init(exports: napi::bindgen_prelude::Object, env: napi::Env) -> napi::Result<()> {
  // Conversions make facade objects and Callback functions inside isolates through the API's
  // front-end there.
  transfer::facade::register(transfer::facade::Makers { facade: inner::facade_for, callback: inner::callback::function_for });
  // SAFETY: napi-rs calls module initialization on the loading thread, with its environment.
  let napi_env = unsafe { host::napi::Napi::from_raw(env.raw()) };
  node::binding::init(napi_env, exports.raw()).map_err(|error| {
    let message = match error {
      error::Error::Thrown(error::Thrown::Error(data)) => data.message,
      _ => "isolated-vm failed to initialize".to_string(),
    };
    napi::Error::from_reason(message)
  })
}
