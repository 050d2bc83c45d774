//! The `promise` transfer option on the Node side.

use std::sync::Arc;

use super::convert::transfer_out;
use crate::bridge::completion::Completion;
use crate::error::{catch_panic, Error, Result};
use crate::host::errors::thrown_from_napi;
use crate::host::napi::native::{Args, Callback};
use crate::host::napi::{Napi, Value};
use crate::host::NodeEnv;
use crate::transfer::promise::PromiseState;
use crate::transfer::{TransferOptions, Transferable};

/// The handler that `then` calls with a Node promise's outcome.
struct Settle {
  state: Arc<PromiseState>,
  options: TransferOptions,
  resolved: bool,
}

/// The outcome of a Node value (a promise, or a value taken as resolved), transferred with
/// `options` once known.
pub fn promise_from_napi(napi: Napi, value: Value, options: TransferOptions) -> Result<Transferable> {
  let state = PromiseState::new();
  if !napi.is_promise(value)? {
    state.settle(transfer_out(napi, value, options));
    return Ok(Transferable::Promise(state));
  }
  let fulfilled = napi.function("fulfilled", Arc::new(Settle { state: state.clone(), options, resolved: true }))?;
  let rejected = napi.function("rejected", Arc::new(Settle { state: state.clone(), options, resolved: false }))?;
  let then = napi.get_named(value, "then")?;
  napi.call(value, then, &[fulfilled, rejected])?;
  Ok(Transferable::Promise(state))
}

impl Callback for Settle {
  /// Never throws (nor panics into Node): a handler that threw would leave the promise `then`
  /// returned rejected, with nobody to handle it.
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>> {
    let _ = catch_panic(|| {
      let value = match args.get(0) {
        Some(value) => value,
        None => napi.undefined()?,
      };
      let outcome = if self.resolved {
        transfer_out(napi, value, self.options).map_err(|error| crate::host::errors::take_thrown(napi, error))
      } else {
        Err(Error::Thrown(thrown_from_napi(napi, value)))
      };
      self.state.settle(outcome);
      Ok(())
    });
    Ok(None)
  }
}

/// A new Node promise settled with the outcome.
pub fn promise_to_napi(napi: Napi, state: &PromiseState) -> Result<Value> {
  let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  let (deferred, promise) = napi.promise()?;
  let completion = Completion::node(env.clone(), deferred, env.hold(napi), None);
  state.wait(move |result| completion.settle(result));
  Ok(promise)
}
