//! The Node.js host as the layers above see it: its environments, values held across threads,
//! and Node-API. Node values are converted to what crosses between worlds in src/bridge; the
//! binding Node calls (its functions and callbacks) is the front-end in src/node.

pub mod env;
pub mod errors;
pub mod napi;

use std::sync::Arc;

use ::napi::sys;

pub use env::NodeEnv;
use napi::{Napi, Value};

use crate::error::{msg, Error, Result};

/// A JavaScript value of a Node environment, held from any thread. Only readable with that
/// environment, on its own thread; released there when dropped.
pub struct NodeRef {
  pub env: Arc<NodeEnv>,
  held: Held,
}

enum Held {
  /// Objects, functions and symbols, through a Node-API reference.
  Reference(sys::napi_ref),
  /// Other primitives, which Node-API (before version 10) cannot reference: kept as a copy,
  /// which is indistinguishable since they are immutable.
  Primitive(crate::value::Primitive),
}

// SAFETY: the raw reference is only used with its own environment, on that environment's
// thread: `get` checks it (in release builds too), and `drop` deletes it in a posted job.
unsafe impl Send for NodeRef {}
// SAFETY: as for `Send`: shared access reaches the reference only through `get`, which checks;
// the other fields are `Sync`.
unsafe impl Sync for NodeRef {}

impl NodeRef {
  pub fn new(napi: Napi, env: &Arc<NodeEnv>, value: Value) -> Result<NodeRef> {
    let held = match napi.primitive(value)? {
      Some(primitive) => Held::Primitive(primitive),
      None => Held::Reference(napi.reference(value)?),
    };
    Ok(NodeRef { env: env.clone(), held })
  }

  /// The value; `napi` must be the environment the value came from, or this fails.
  pub fn get(&self, napi: Napi) -> Result<Value> {
    match &self.held {
      // A reference used with another environment, or with a new one at the address of this
      // one after it shut down, is undefined behaviour: checked in release builds too. The
      // cheapest correct check is the one `is` makes, a pointer comparison and an atomic load:
      // a `Napi` only exists on its own thread, so this is the environment's thread too. An
      // error rather than a panic: every caller returns `Result` already.
      Held::Reference(_) if !self.env.is(napi) => Err(Error::generic(msg::FOREIGN_NODE_VALUE)),
      Held::Reference(raw) => napi.deref(*raw),
      Held::Primitive(value) => napi.primitive_value(value),
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
