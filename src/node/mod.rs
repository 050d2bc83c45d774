//! The Node.js side: environments, values held across threads, conversions and the binding.

pub mod binding;
pub mod callback;
pub mod clone;
pub mod convert;
pub mod copy;
pub mod env;
pub mod facade;
pub mod front;
pub mod napi;
pub mod promise;
pub mod shared;

use std::sync::Arc;

use ::napi::sys;

pub use env::NodeEnv;
use napi::{Napi, Value};

use crate::error::Result;

/// A JavaScript value of a Node environment, held from any thread. Only readable on the
/// environment's own thread; released there when dropped.
pub struct NodeRef {
  pub env: Arc<NodeEnv>,
  held: Held,
}

enum Held {
  /// Objects, functions and symbols, through a Node-API reference.
  Reference(sys::napi_ref),
  /// Other primitives, which Node-API (before version 10) cannot reference: kept as a copy,
  /// which is indistinguishable since they are immutable.
  Primitive(crate::transfer::Transferable),
}

// The raw reference is only dereferenced on the environment's thread (checked by `get`).
unsafe impl Send for NodeRef {}
unsafe impl Sync for NodeRef {}

impl NodeRef {
  pub fn new(napi: Napi, env: &Arc<NodeEnv>, value: Value) -> Result<NodeRef> {
    let held = match convert::primitive_from_napi(napi, value)? {
      Some(primitive) => Held::Primitive(primitive),
      None => Held::Reference(napi.reference(value)?),
    };
    Ok(NodeRef { env: env.clone(), held })
  }

  /// The value; `napi` must belong to the environment the value came from.
  pub fn get(&self, napi: Napi) -> Result<Value> {
    debug_assert!(self.env.is_current_thread());
    match &self.held {
      Held::Reference(raw) => napi.deref(*raw),
      Held::Primitive(value) => convert::to_napi(napi, value.clone()),
    }
  }
}

impl Drop for NodeRef {
  fn drop(&mut self) {
    if let Held::Reference(raw) = self.held {
      let raw = raw as usize;
      self.env.post(Box::new(move |napi| {
        if let Some(napi) = napi {
          napi.delete_reference(raw as sys::napi_ref);
        }
      }));
    }
  }
}
