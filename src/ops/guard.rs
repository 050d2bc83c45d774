//! Running user code in one of our isolates: timeouts, microtasks, termination and the errors
//! isolated-vm reports for each way a run can end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{msg, Error, ErrorData, ErrorKind, Result, Thrown};
use crate::isolate::extensions::Extension;
use crate::isolate::timer::Timer;
use crate::isolate::{executor, IsolateCore};
use crate::transfer::promise::PromiseState;
use crate::transfer::{v8conv, Transferable};

/// Runs `run` (which calls into JavaScript) in the current context of the current isolate.
///
/// - `timeout_ms` (0 for none) terminates the code when it runs out, with isolated-vm's
///   "Script execution timed out." error; the isolate stays usable.
/// - The outermost run on the isolate also runs the microtask queue (inside the timeout), and
///   fails with the first promise rejection nobody handled. With `promise_result`, a promise
///   returned by `run` counts as handled (the `promise` transfer option takes it over).
/// - Disposal and the memory limit end the run with their own errors.
pub fn run_user_code<'s, 'i>(
  scope: &mut v8::PinScope<'s, 'i>,
  timeout_ms: u32,
  promise_result: bool,
  run: impl FnOnce(&mut v8::PinScope<'s, 'i>) -> Option<v8::Local<'s, v8::Value>>,
) -> Result<v8::Local<'s, v8::Value>> {
  let core = executor::entered()?;
  if core.is_disposed() {
    // A call queued before `dispose()` (see IsolateCore::dispose).
    core.stop_after_dispose();
    return Err(Error::generic(msg::DISPOSED_DURING_EXECUTION));
  }
  let timeout = (timeout_ms > 0).then(|| Timeout::start(scope, &core, timeout_ms));
  let outermost = core.run_depth.fetch_add(1, Ordering::SeqCst) == 0;
  let _depth = DepthGuard(&core);

  v8::tc_scope!(let tc, scope);
  let result = run(tc);
  let mut stopped_continuations = false;
  if outermost && result.is_some() && !tc.has_terminated() {
    stopped_continuations = run_microtasks(tc, &core);
  }
  // Disarm the timer; after this it can no longer stop anything.
  let stopped = timeout.and_then(Timeout::end);
  let terminated = (tc.has_terminated() || tc.is_execution_terminating()) && !stopped_continuations;
  let exception = if tc.has_caught() { tc.exception() } else { None };

  if core.memory.was_hit() {
    core.dispose();
    core.stop_after_dispose();
    return Err(Error::generic(msg::MEMORY_LIMIT));
  }
  if core.is_disposed() {
    core.stop_after_dispose();
    return Err(Error::generic(msg::DISPOSED_DURING_EXECUTION));
  }
  if let Some(stack) = stopped {
    // Our own timer fired: clear the termination so the isolate stays usable. Code that ran
    // past its time in a built-in that never checks for termination (a regular expression, a
    // sort, `repeat`) times out all the same, as in isolated-vm, even if it then finished; its
    // stack is that of the code the timer's interrupt stopped, when it got to stop some.
    if outermost {
      // Microtasks the stopped code queued would otherwise run in the next call, outside any
      // timeout: a checkpoint terminated as it starts makes V8 drop them. (V8 ended the
      // termination when it unwound the last JavaScript frame: request it again.)
      tc.terminate_execution();
      tc.perform_microtask_checkpoint();
    }
    tc.cancel_terminate_execution();
    return Err(Error::Thrown(Thrown::Error(ErrorData { kind: ErrorKind::Error, name: None, message: msg::TIMED_OUT.into(), stack })));
  } else if terminated {
    // Terminated for an enclosing run (its timeout): unwind to it.
    return Err(Error::generic(msg::TIMED_OUT));
  }
  if result.is_none() {
    if let (Some(exception), Some(inspector)) = (exception, crate::inspector::existing(&core)) {
      let message = tc.message();
      inspector.exception_thrown(tc, exception, message);
    }
    return Err(match exception {
      Some(exception) => Error::Thrown(v8conv::thrown_from_v8(tc, exception)),
      None => Error::generic("An exception was thrown. Sorry I don't know more."),
    });
  }
  let result = result.expect("checked above");
  if outermost {
    if promise_result {
      if let Ok(promise) = v8::Local::<v8::Promise>::try_from(result) {
        let handled = v8::Global::new(tc, promise);
        core.locked.lock().unhandled_rejections.retain(|p| *p != handled);
      }
    }
    if let Some(thrown) = take_unhandled_rejection(tc, &core) {
      return Err(Error::Thrown(thrown));
    }
  }
  Ok(result)
}

/// Runs the microtask queue. Continuations of calls whose promise ran out of time (see
/// `limit_promise`) are stopped at the earliest such deadline; returns true if that happened
/// (the termination is then cleared: the isolate stays usable).
pub fn run_microtasks(scope: &mut v8::PinScope<'_, '_>, core: &IsolateCore) -> bool {
  let Some(deadline) = earliest_deadline(core) else {
    scope.perform_microtask_checkpoint();
    return false;
  };
  let stopped = Arc::new(AtomicBool::new(false));
  let timer = {
    let stopped = stopped.clone();
    let handle = core.handle.clone();
    Timer::start(deadline.saturating_duration_since(Instant::now()), move || {
      stopped.store(true, Ordering::SeqCst);
      handle.terminate_execution();
    })
  };
  scope.perform_microtask_checkpoint();
  drop(timer);
  let stopped = stopped.load(Ordering::SeqCst);
  if stopped {
    scope.cancel_terminate_execution();
  }
  stopped
}

/// When the promises of calls with a timeout run out of time (see `limit_promise`). Kept in the
/// isolate (an `Extension`).
#[derive(Default)]
struct Deadlines(Mutex<Vec<(Instant, std::sync::Weak<PromiseState>)>>);

impl Extension for Deadlines {}

/// The earliest deadline of a call's promise still pending, forgetting settled ones.
fn earliest_deadline(core: &IsolateCore) -> Option<Instant> {
  let deadlines = core.extensions.existing::<Deadlines>()?;
  let mut deadlines = deadlines.0.lock();
  if deadlines.is_empty() {
    return None;
  }
  deadlines.retain(|(_, state)| state.upgrade().is_some_and(|state| !state.is_settled()));
  deadlines.iter().map(|(at, _)| *at).min()
}

/// With the `promise` option a call's outcome is its promise settling: the rest of the call's
/// timeout covers that. When it runs out, the call fails with isolated-vm's timeout error, and
/// code still running for it (its continuations, in a microtask checkpoint) is stopped.
pub fn limit_promise(value: &Transferable, timeout_ms: u32, started: Instant) {
  let (Transferable::Promise(state), true) = (value, timeout_ms > 0) else { return };
  let Some(core) = executor::current() else { return };
  if state.is_settled() {
    return;
  }
  let at = started + Duration::from_millis(timeout_ms as u64);
  core.extensions.get::<Deadlines>().0.lock().push((at, Arc::downgrade(state)));
  // The timer keeps the outcome alive: a promise that can never settle may be garbage collected
  // meanwhile, and the call must still end with the timeout. Firing after the promise settled
  // does nothing: the first outcome stands.
  let state = state.clone();
  Timer::start(at.saturating_duration_since(Instant::now()), move || state.settle(Err(Error::generic(msg::TIMED_OUT)))).detach();
}

/// The timeout of a run. When the time is up, the timer asks the isolate for an interrupt; run
/// on the isolate's thread in the middle of the code, it records that code's stack (which the
/// timeout error shows, as in isolated-vm) and terminates it.
struct Timeout {
  expiry: Arc<Expiry>,
  _timer: Timer,
}

/// What the timer and its interrupt share with the run.
struct Expiry {
  /// The run's context, entered to capture the stack. `None` once the run is over: an
  /// interrupt served after that must neither stop later code nor keep the context alive.
  context: Mutex<Option<v8::Global<v8::Context>>>,
  /// The stack of the code the interrupt stopped; `None` until then.
  stopped: Mutex<Option<String>>,
  /// The time is up (set by the timer, before it asks for the interrupt).
  fired: AtomicBool,
}

impl Timeout {
  fn start(scope: &mut v8::PinScope<'_, '_>, core: &IsolateCore, timeout_ms: u32) -> Timeout {
    let context = scope.get_current_context();
    let context = Mutex::new(Some(v8::Global::new(scope, context)));
    let expiry = Arc::new(Expiry { context, stopped: Mutex::new(None), fired: AtomicBool::new(false) });
    let handle = core.handle.clone();
    let fired = expiry.clone();
    let timer = Timer::start(Duration::from_millis(timeout_ms as u64), move || {
      fired.fired.store(true, Ordering::SeqCst);
      let data = Arc::into_raw(fired) as *mut std::ffi::c_void;
      if !handle.request_interrupt(stop_on_interrupt, data) {
        // SAFETY: the interrupt was not queued, so `stop_on_interrupt` will not take it back.
        drop(unsafe { Arc::from_raw(data as *const Expiry) });
      }
    });
    Timeout { expiry, _timer: timer }
  }

  /// Ends the timeout: the timer can no longer fire and a pending interrupt will do nothing.
  /// `None` if the time was not up; else the stack of the code it stopped, if it did (a
  /// built-in that never checks for termination may have run past the time to the end).
  fn end(self) -> Option<Option<String>> {
    drop(self._timer);
    drop(self.expiry.context.lock().take());
    let stack = self.expiry.stopped.lock().take();
    self.expiry.fired.load(Ordering::SeqCst).then_some(stack)
  }
}

/// The timeout's interrupt, on the isolate's thread while it runs JavaScript.
unsafe extern "C" fn stop_on_interrupt(isolate: v8::UnsafeRawIsolatePtr, data: *mut std::ffi::c_void) {
  // SAFETY: the timer made `data` with `Arc::into_raw` for this interrupt, which V8 runs once.
  let expiry = unsafe { Arc::from_raw(data as *const Expiry) };
  let _ = crate::error::catch_panic(|| {
    let Some(context) = expiry.context.lock().clone() else { return Ok(()) };
    // SAFETY: V8 runs interrupts on the thread that has the isolate locked and entered.
    let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(isolate) };
    let frames = {
      v8::scope!(let scope, &mut isolate);
      let context = v8::Local::new(scope, &context);
      let scope = &mut v8::ContextScope::new(scope, context);
      v8conv::current_stack_trace(scope).map(|trace| v8conv::render_frames(scope, trace)).unwrap_or_default()
    };
    *expiry.stopped.lock() = Some(format!("Error: {}{frames}", msg::TIMED_OUT));
    isolate.terminate_execution();
    Ok(())
  });
}

struct DepthGuard<'a>(&'a IsolateCore);

impl Drop for DepthGuard<'_> {
  fn drop(&mut self) {
    self.0.run_depth.fetch_sub(1, Ordering::SeqCst);
  }
}

/// The reason of the first promise rejected during the run that is still unhandled.
fn take_unhandled_rejection(scope: &mut v8::PinScope<'_, '_>, core: &IsolateCore) -> Option<Thrown> {
  let rejected = std::mem::take(&mut core.locked.lock().unhandled_rejections);
  let promise = rejected.first()?;
  let promise = v8::Local::new(scope, promise);
  let reason = promise.result(scope);
  Some(v8conv::thrown_from_v8(scope, reason))
}

/// The context a compile runs in (see ops::isolate::in_compile_context). In a user context
/// borrowed for compiling, a failure is not looked at, since making its error could run the
/// context's code: `compile` then gives `Error::Pending` and the compile is repeated elsewhere.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CompileSite {
  Borrowed,
  Own,
}

/// Compiles with `compile`; on failure, appends " [file:line:column]" to the error's message as
/// isolated-vm does, so that syntax errors say where they are.
pub fn compile<'s, 'i, T>(
  scope: &mut v8::PinScope<'s, 'i>,
  site: CompileSite,
  compile: impl FnOnce(&mut v8::PinScope<'s, 'i>) -> Option<v8::Local<'s, T>>,
) -> Result<v8::Local<'s, T>> {
  v8::tc_scope!(let tc, scope);
  if let Some(compiled) = compile(tc) {
    return Ok(compiled);
  }
  if site == CompileSite::Borrowed {
    return Err(Error::Pending);
  }
  // No exception means the isolate is terminating: it was disposed meanwhile.
  let Some(exception) = tc.exception() else { return Err(Error::generic(msg::DISPOSED_DURING_EXECUTION)) };
  if let (Ok(error), Some(message)) = (v8::Local::<v8::Object>::try_from(exception), tc.message()) {
    let line = message.get_line_number(tc).unwrap_or(0);
    let column = message.get_start_column() + 1;
    let file = match message.get_script_resource_name(tc) {
      Some(name) if name.is_string() => name.to_rust_string_lossy(tc),
      _ => "<isolated-vm>".to_string(),
    };
    // The position goes into the message and the stack's first line, as isolated-vm does.
    let text = get_string(tc, error, "message").unwrap_or_default();
    let annotated = format!("{text} [{file}:{line}:{column}]");
    set_string(tc, error, "message", &annotated);
    if let Some(stack) = get_string(tc, error, "stack") {
      set_string(tc, error, "stack", &stack.replacen(&text, &annotated, 1));
    }
  }
  Err(Error::Thrown(v8conv::thrown_from_v8(tc, exception)))
}

fn get_string(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, key: &str) -> Option<String> {
  let key = v8::String::new(scope, key)?;
  let value = object.get(scope, key.into())?;
  value.is_string().then(|| value.to_rust_string_lossy(scope))
}

fn set_string(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, key: &str, value: &str) {
  if let (Some(key), Some(value)) = (v8::String::new(scope, key), v8::String::new(scope, value)) {
    object.set(scope, key.into(), value.into());
  }
}
