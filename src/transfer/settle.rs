//! Settling a promise of one of our isolates with the outcome of work done anywhere: the
//! isolate's side of a completion (bridge::completion has Node's). The outcome is converted and
//! the promise settled in a task of the isolate, whose microtasks then run.

use std::sync::{Arc, OnceLock};

use super::{v8conv, Remote, Transferable};
use crate::error::{Error, Result};
use crate::isolate::scheduler::TaskInput;
use crate::isolate::{executor, IsolateCore};

/// Runs an isolate's microtasks after a settlement, with the deadlines of its calls (given by
/// ops, which owns them, before the first isolate is made).
pub type MicrotaskRunner = fn(&mut v8::PinScope<'_, '_>, &IsolateCore) -> bool;

static MICROTASKS: OnceLock<MicrotaskRunner> = OnceLock::new();

pub fn register_microtask_runner(runner: MicrotaskRunner) {
  let _ = MICROTASKS.set(runner);
}

/// A promise of a context of one of our isolates, to settle from any thread. Dropped without
/// being settled (the work panicked), it rejects the promise rather than leave it pending.
pub struct IsolatePromise(Option<Target>);

struct Target {
  resolver: Arc<Remote<v8::PromiseResolver>>,
  context: Arc<Remote<v8::Context>>,
  /// Where the call was made, if it was one: an error it rejects with shows the caller's frames
  /// after the boundary, as when a synchronous call fails.
  caller: Option<v8::Global<v8::StackTrace>>,
}

impl IsolatePromise {
  /// A new promise of the current context. `call` says it is the promise of a call made now,
  /// whose stack an error shows.
  pub fn new<'s>(
    core: &Arc<IsolateCore>,
    scope: &mut v8::PinScope<'s, '_>,
    call: bool,
  ) -> Result<(IsolatePromise, v8::Local<'s, v8::Promise>)> {
    let resolver = v8::PromiseResolver::new(scope).ok_or(Error::Pending)?;
    let promise = resolver.get_promise(scope);
    let context = scope.get_current_context();
    let caller = if call { v8conv::current_stack_trace(scope).map(|trace| v8::Global::new(scope, trace)) } else { None };
    let target = Target { resolver: Remote::new(core, scope, resolver), context: Remote::new(core, scope, context), caller };
    Ok((IsolatePromise(Some(target)), promise))
  }

  pub fn settle(mut self, result: Result<Transferable>) {
    let Target { resolver, context, caller } = self.0.take().expect("a promise is settled once");
    let core = resolver.core.clone();
    core.post(Box::new(move |input| {
      let TaskInput::Run(isolate) = input else { return };
      match result {
        // A promise (the `promise` option) settles this one once it settles itself, as
        // resolving this one with a promise of the isolate would have, but without going
        // through that promise's `then`, which isolate code may have replaced. Its rejection
        // shows no caller frames, as it would not have then.
        Ok(Transferable::Promise(state)) => {
          let promise = IsolatePromise(Some(Target { resolver, context, caller: None }));
          state.wait(move |result| promise.settle(result));
        }
        result => settle_in_isolate(isolate, &resolver, &context, result, caller),
      }
    }));
  }
}

impl Drop for IsolatePromise {
  fn drop(&mut self) {
    if self.0.is_some() {
      let unsettled = IsolatePromise(self.0.take());
      unsettled.settle(Err(Error::generic("isolated-vm: the operation ended without a result")));
    }
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
  if let (Some(core), Some(run)) = (executor::current(), MICROTASKS.get()) {
    run(scope, &core);
  }
}
