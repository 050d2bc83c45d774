//! The Node.js side: environments, values held across threads, conversions and the binding.

pub mod binding;
pub mod callback;
pub mod convert;
pub mod copy;
pub mod env;
pub mod facade;
pub mod front;
pub mod napi;

use std::sync::Arc;

use ::napi::sys;

pub use env::NodeEnv;
use napi::{Napi, Value};

use crate::error::Result;

/// A JavaScript value of a Node environment, held from any thread. Only readable on the
/// environment's own thread; released there when dropped.
pub struct NodeRef {
  pub env: Arc<NodeEnv>,
  raw: sys::napi_ref,
}

// The raw reference is only dereferenced on the environment's thread (checked by `get`).
unsafe impl Send for NodeRef {}
unsafe impl Sync for NodeRef {}

impl NodeRef {
  pub fn new(napi: Napi, env: &Arc<NodeEnv>, value: Value) -> Result<NodeRef> {
    Ok(NodeRef { env: env.clone(), raw: napi.reference(value)? })
  }

  /// The value; `napi` must belong to the environment the value came from.
  pub fn get(&self, napi: Napi) -> Result<Value> {
    debug_assert!(self.env.is_current_thread());
    napi.deref(self.raw)
  }
}

impl Drop for NodeRef {
  fn drop(&mut self) {
    let raw = self.raw as usize;
    self.env.post(Box::new(move |napi| {
      if let Some(napi) = napi {
        napi.delete_reference(raw as sys::napi_ref);
      }
    }));
  }
}
