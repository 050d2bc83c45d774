//! Settling the promise of an async call, from whatever thread the work finished on: a Node
//! promise (settled here) or a promise of one of our isolates (transfer::settle).

use std::sync::Arc;

use napi::sys;

use super::convert::to_napi;
use crate::error::{Error, Result};
use crate::host::env::KeepAlive;
use crate::host::errors::{error_to_napi, error_to_napi_at, CallSite};
use crate::host::napi::Napi;
use crate::host::NodeEnv;
use crate::isolate::IsolateCore;
use crate::transfer::settle::IsolatePromise;
use crate::transfer::Transferable;

/// The promise of an async call, in the caller's world. Dropped without being settled (the
/// work panicked), it rejects the promise rather than leave it pending forever.
pub struct Completion(Option<Target>);

enum Target {
  /// Keeps where the call was made from: an error it rejects with shows the caller's frames
  /// after the boundary, as when a synchronous call fails.
  Node {
    env: Arc<NodeEnv>,
    deferred: Deferred,
    hold: KeepAlive,
    caller: Option<CallSite>,
  },
  Isolate(IsolatePromise),
}

/// A Node-API deferred; only used on its environment's thread.
pub struct Deferred(sys::napi_deferred);
// SAFETY: only settled on its environment's thread: `Completion::settle` posts the job that
// uses it to the environment it was made in (the `env` beside it).
unsafe impl Send for Deferred {}

impl Completion {
  /// `caller`: where in Node the call was made, if it was a call.
  pub fn node(env: Arc<NodeEnv>, deferred: sys::napi_deferred, hold: KeepAlive, caller: Option<CallSite>) -> Completion {
    Completion(Some(Target::Node { env, deferred: Deferred(deferred), hold, caller }))
  }

  /// A completion settling a new promise of the current context (the caller is isolate code).
  /// `call` says it is the promise of a call made now, whose stack an error shows.
  pub fn isolate<'s>(
    core: &Arc<IsolateCore>,
    scope: &mut v8::PinScope<'s, '_>,
    call: bool,
  ) -> Result<(Completion, v8::Local<'s, v8::Promise>)> {
    let (promise, local) = IsolatePromise::new(core, scope, call)?;
    Ok((Completion(Some(Target::Isolate(promise))), local))
  }

  pub fn settle(mut self, result: Result<Transferable>) {
    match self.0.take().expect("a completion is settled once") {
      Target::Node { env, deferred, hold, caller } => env.post(Box::new(move |napi| {
        let _hold = hold;
        if let Some(napi) = napi {
          settle_in_node(napi, deferred, result, caller);
        }
      })),
      Target::Isolate(promise) => promise.settle(result),
    }
  }
}

impl Drop for Completion {
  fn drop(&mut self) {
    // An isolate's promise rejects itself when dropped unsettled.
    if let Some(Target::Node { .. }) = self.0 {
      let unsettled = Completion(self.0.take());
      unsettled.settle(Err(Error::generic("isolated-vm: the operation ended without a result")));
    }
  }
}

fn settle_in_node(napi: Napi, deferred: Deferred, result: Result<Transferable>, caller: Option<CallSite>) {
  // The caller's stack is only rendered for an error; the call site is released either way.
  let caller = caller.and_then(|site| site.frames(napi, result.is_err()));
  let settled = match result {
    Ok(value) => to_napi(napi, value).map(|v| (true, v)),
    Err(error) => error_to_napi_at(napi, error, caller).map(|v| (false, v)),
  };
  let settled = settled.or_else(|error| error_to_napi(napi, error).map(|v| (false, v)));
  if let Ok((resolved, value)) = settled {
    let _ = napi.settle(deferred.0, resolved, value);
  }
}
