//! isolated-vm in Rust: a Node-API addon embedding its own V8.
//!
//! Layout:
//! - `platform`: starting V8 once per process; `flags`: the V8 flags applied before that.
//! - `isolate`: our isolates (limits, locking, task queues, the worker pool, timers).
//! - `transfer`: what crosses between worlds (`Transferable`) and its conversions for isolates.
//! - `ops`: the operations behind the API, independent of the caller's world.
//! - `api`: the binding functions the JavaScript facade calls, written once for both worlds.
//! - `node`: the Node side (environments, Node-API conversions, module initialization).
//! - `inner`: the API inside isolates.
//! - `inspector`: the V8 inspector (DevTools sessions, the CPU profiler).
//!
//! Every `unsafe` block and impl says why it is sound in a `// SAFETY:` comment (clippy checks).

#![deny(clippy::undocumented_unsafe_blocks)]

mod api;
mod error;
mod flags;
mod handle;
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
  // SAFETY: napi-rs calls module initialization on the loading thread, with its environment.
  let napi_env = unsafe { node::napi::Napi::from_raw(env.raw()) };
  node::binding::init(napi_env, exports.raw()).map_err(|error| {
    let message = match error {
      error::Error::Thrown(error::Thrown::Error(data)) => data.message,
      _ => "isolated-vm failed to initialize".to_string(),
    };
    napi::Error::from_reason(message)
  })
}
