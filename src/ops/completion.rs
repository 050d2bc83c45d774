//! Settling the promise of an async call, from whatever thread the work finished on.

use std::sync::Arc;

use napi::sys;

use crate::error::{Error, Result};
use crate::host::convert::CallSite;
use crate::host::env::KeepAlive;
use crate::host::NodeEnv;
use crate::isolate::scheduler::TaskInput;
use crate::isolate::IsolateCore;
use crate::transfer::{v8conv, Remote, Transferable};

/// The promise of an async call, in the caller's world. Dropped without being settled (the
/// work panicked), it rejects the promise rather than leave it pending forever.
pub struct Completion(Option<Target>);

/// Each target keeps where the call was made from: an error it rejects with shows the caller's
/// frames after the boundary, as when a synchronous call fails.
enum Target {
  Node { env: Arc<NodeEnv>, deferred: Deferred, hold: KeepAlive, caller: Option<CallSite> },
  Isolate { resolver: Arc<Remote<v8::PromiseResolver>>, context: Arc<Remote<v8::Context>>, caller: Option<v8::Global<v8::StackTrace>> },
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

  pub fn settle(mut self, result: Result<Transferable>) {
    match self.0.take().expect("a completion is settled once") {
      Target::Node { env, deferred, hold, caller } => env.post(Box::new(move |napi| {
        let _hold = hold;
        if let Some(napi) = napi {
          settle_in_node(napi, deferred, result, caller);
        }
      })),
      Target::Isolate { resolver, context, caller } => {
        let core = resolver.core.clone();
        core.post(Box::new(move |input| {
          let TaskInput::Run(isolate) = input else { return };
          match result {
            // A promise (the `promise` option) settles this one once it settles itself, as
            // resolving this one with a promise of the isolate would have, but without going
            // through that promise's `then`, which isolate code may have replaced. Its
            // rejection shows no caller frames, as it would not have then.
            Ok(Transferable::Promise(state)) => {
              let completion = Completion(Some(Target::Isolate { resolver, context, caller: None }));
              state.wait(move |result| completion.settle(result));
            }
            result => settle_in_isolate(isolate, &resolver, &context, result, caller),
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

fn settle_in_node(napi: crate::host::napi::Napi, deferred: Deferred, result: Result<Transferable>, caller: Option<CallSite>) {
  use crate::host::convert::{error_to_napi, error_to_napi_at, to_napi};
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

fn settle_in_isolate(
  isolate: &mut v8::Isolate,
  resolver: &Remote<v8::PromiseResolver>,
  context: &Remote<v8::Context>,
  result: Result<Transferable>,
  caller: Option<v8::Global<v8::StackTrace>>,
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
      let caller = caller.map(|trace| {
        let trace = v8::Local::new(scope, trace);
        v8conv::render_frames(scope, trace)
      });
      let value = v8conv::rejection(scope, error, caller);
      resolver.reject(scope, value);
    }
  }
  if let Some(core) = crate::isolate::executor::current() {
    super::guard::run_microtasks(scope, &core);
  }
}

impl IsolateCore {
  /// A completion settling a new promise of the current context (the caller is isolate code).
  /// `call` says it is the promise of a call made now, whose stack an error shows.
  pub fn completion<'s>(
    self: &Arc<Self>,
    scope: &mut v8::PinScope<'s, '_>,
    call: bool,
  ) -> Result<(Completion, v8::Local<'s, v8::Promise>)> {
    let resolver = v8::PromiseResolver::new(scope).ok_or(Error::Pending)?;
    let promise = resolver.get_promise(scope);
    let context = scope.get_current_context();
    let caller = if call { v8conv::current_stack_trace(scope).map(|trace| v8::Global::new(scope, trace)) } else { None };
    let target = Target::Isolate { resolver: Remote::new(self, scope, resolver), context: Remote::new(self, scope, context), caller };
    Ok((Completion(Some(target)), promise))
  }
}
