//! Settling the promise of an async call, from whatever thread the work finished on.

use std::sync::Arc;

use napi::sys;

use crate::error::{Error, Result};
use crate::isolate::scheduler::TaskInput;
use crate::isolate::IsolateCore;
use crate::node::env::KeepAlive;
use crate::node::NodeEnv;
use crate::transfer::{v8conv, Remote, Transferable};

/// The promise of an async call, in the caller's world. Dropped without being settled (the
/// work panicked), it rejects the promise rather than leave it pending forever.
pub struct Completion(Option<Target>);

enum Target {
  Node { env: Arc<NodeEnv>, deferred: Deferred, hold: KeepAlive },
  Isolate { resolver: Arc<Remote<v8::PromiseResolver>>, context: Arc<Remote<v8::Context>> },
}

/// A Node-API deferred; only used on its environment's thread.
pub struct Deferred(sys::napi_deferred);
unsafe impl Send for Deferred {}

impl Completion {
  pub fn node(env: Arc<NodeEnv>, deferred: sys::napi_deferred, hold: KeepAlive) -> Completion {
    Completion(Some(Target::Node { env, deferred: Deferred(deferred), hold }))
  }

  pub fn settle(mut self, result: Result<Transferable>) {
    match self.0.take().expect("a completion is settled once") {
      Target::Node { env, deferred, hold } => env.post(Box::new(move |napi| {
        let _hold = hold;
        if let Some(napi) = napi {
          settle_in_node(napi, deferred, result);
        }
      })),
      Target::Isolate { resolver, context } => {
        let core = resolver.core.clone();
        core.post(Box::new(move |input| {
          if let TaskInput::Run(isolate) = input {
            settle_in_isolate(isolate, &resolver, &context, result);
          }
        }));
      }
    }
  }
}

impl Drop for Completion {
  fn drop(&mut self) {
    if self.0.is_some() {
      let unsettled = Completion(self.0.take());
      unsettled.settle(Err(Error::generic("isolated-vm: the operation ended without a result")));
    }
  }
}

fn settle_in_node(napi: crate::node::napi::Napi, deferred: Deferred, result: Result<Transferable>) {
  use crate::node::convert::{error_to_napi, to_napi};
  let settled = match result {
    Ok(value) => to_napi(napi, value).map(|v| (true, v)),
    Err(error) => error_to_napi(napi, error).map(|v| (false, v)),
  };
  let settled = settled.or_else(|error| error_to_napi(napi, error).map(|v| (false, v)));
  if let Ok((resolved, value)) = settled {
    let _ = napi.settle(deferred.0, resolved, value);
  }
}

fn settle_in_isolate(
  isolate: &mut v8::Isolate,
  resolver: &Remote<v8::PromiseResolver>,
  context: &Remote<v8::Context>,
  result: Result<Transferable>,
) {
  v8::scope!(let scope, isolate);
  let context = context.open(scope);
  let scope = &mut v8::ContextScope::new(scope, context);
  let resolver = resolver.open(scope);
  match result.and_then(|value| v8conv::to_v8(scope, value)) {
    Ok(value) => {
      resolver.resolve(scope, value);
    }
    Err(error) => {
      let value = v8conv::rejection(scope, error);
      resolver.reject(scope, value);
    }
  }
  if let Some(core) = crate::isolate::executor::current() {
    super::guard::run_microtasks(scope, &core);
  }
}

impl IsolateCore {
  /// A completion settling a new promise of the current context (the caller is isolate code).
  pub fn completion<'s>(
    self: &Arc<Self>,
    scope: &mut v8::PinScope<'s, '_>,
  ) -> Result<(Completion, v8::Local<'s, v8::Promise>)> {
    let resolver = v8::PromiseResolver::new(scope).ok_or(Error::Pending)?;
    let promise = resolver.get_promise(scope);
    let context = scope.get_current_context();
    let target = Target::Isolate { resolver: Remote::new(self, scope, resolver), context: Remote::new(self, scope, context) };
    Ok((Completion(Some(target)), promise))
  }
}
