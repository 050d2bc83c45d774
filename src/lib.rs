//! isolated-vm in Rust: a Node-API addon embedding its own V8.
//!
//! Layers, lowest first. A module names only modules of its own layer or of layers below it
//! (scripts/layers.js checks it, reading this list: the modules of a layer are the names in
//! backquotes on its line that are modules of this crate).
//! - `value`, `error`, `flags`, `platform`: strings and primitive values; errors; the V8 flags,
//!   and starting V8 once per process.
//! - `isolate`: our isolates (limits, locking, task queues, the worker pool, timers, handles
//!   held from anywhere, and the typed extensions in which higher layers keep per-isolate state).
//! - `inspector`: the V8 inspector of an isolate (DevTools sessions, the profiler's domain).
//! - `host`: Node as the layers above see it: its environments, values held across threads,
//!   Node-API, and errors between Node and the other worlds.
//! - `transfer`: what crosses between worlds, the shared data and native handles behind facade
//!   objects, their conversions in isolates, and the settling of isolates' promises.
//! - `bridge`: the conversions of Node values, and the completion of async calls in either world.
//! - `ops`: the operations behind the API, independent of the caller's world, and the `Front`
//!   binding functions read their arguments from.
//! - `api`: the binding functions the JavaScript facade calls, written once for both worlds, and
//!   the protocol the facade checks at start.
//! - `node`, `inner`: the two front-ends, in Node and inside isolates: the binding objects, the
//!   `Front` of their calls, and every native callback that reaches another world. What lower
//!   layers make through them (Callback functions, facade objects) is registered at load, here.
//!
//! Every `unsafe` block and impl says why it is sound in a `// SAFETY:` comment (clippy checks).

#![deny(clippy::undocumented_unsafe_blocks)]

mod api;
mod bridge;
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
mod value;

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
