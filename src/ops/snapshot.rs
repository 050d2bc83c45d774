//! Startup snapshots: `Isolate.createSnapshot(scripts, warmupScript)` and `new Isolate({ snapshot })`.
//!
//! A snapshot is made by a V8 snapshot creator, which cannot be a shared isolate: each one gets a
//! thread of its own. The scripts run there under a time limit and a memory limit. Should V8 die
//! while making it (some objects cannot be serialized, and V8 gives up on them with a fatal
//! error), that thread is given up (see ops::catastrophe) and the caller gets an error.
//!
//! Snapshots are sealed (ops::sealed): damaged ones are refused before V8 reads them, and V8
//! itself refuses those of another V8 version.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::guard::{self, CompileSite};
use super::sealed::{self, Kind};
use super::source::ScriptSource;
use crate::error::{msg, Error, Result};
use crate::isolate::memory::{self, MemoryLimit};
use crate::isolate::timer::Timer;
use crate::isolate::{executor, scheduler};
use crate::transfer::v8conv;

type Reply = crossbeam_channel::Sender<Result<Vec<u8>>>;

thread_local! {
  /// On a snapshot thread: where its result goes, for a fatal error to answer before the
  /// thread is given up.
  static REPLY: RefCell<Option<Reply>> = const { RefCell::new(None) };
}

/// If this thread is making a snapshot: answers its caller with `message` and gives the thread
/// up (never returns). Otherwise returns.
pub fn give_up_snapshot_thread(message: &str) {
  if let Some(reply) = REPLY.with(|reply| reply.borrow_mut().take()) {
    let _ = reply.send(Err(Error::generic(format!("Failure creating snapshot: {message}"))));
    loop {
      std::thread::park();
    }
  }
}

pub struct Limits {
  pub timeout_ms: u32,
  pub memory_limit_mb: f64,
}

/// Makes a sealed snapshot of the scripts' global state (blocking the caller).
pub fn create(scripts: Vec<ScriptSource>, warmup: Option<ScriptSource>, limits: Limits) -> Result<Vec<u8>> {
  crate::platform::init(super::catastrophe::fatal_error);
  let (reply, result) = crossbeam_channel::bounded(1);
  std::thread::Builder::new()
    .name("isolated-vm-snapshot".into())
    .stack_size(8 << 20)
    .spawn(move || {
      REPLY.with(|slot| *slot.borrow_mut() = Some(reply));
      let made = crate::error::catch_panic(|| make(scripts, warmup, &limits));
      if let Some(reply) = REPLY.with(|slot| slot.borrow_mut().take()) {
        let _ = reply.send(made);
      }
    })
    .map_err(|error| Error::generic(format!("Could not start a snapshot thread: {error}")))?;
  executor::suspend_current(|| scheduler::blocking(|| result.recv())).unwrap_or_else(|_| Err(Error::generic("Failure creating snapshot")))
}

/// Makes sure the process's read-only heap, which V8 shares between all the isolates of a
/// process and makes with the first of them, comes from V8's own snapshot before a snapshot
/// creator runs. Made by a creator that is the process's first isolate, a snapshot refers to a
/// read-only heap of its own: another process that made an isolate first then aborts on it
/// ("vector[] index out of bounds"), so snapshots saved to disk, or given to an out-of-process
/// isolate's child, would crash.
fn read_only_heap_from_v8() {
  static MADE: std::sync::Once = std::sync::Once::new();
  // The read-only heap lives while some isolate does: this one stays, for good, unused.
  MADE.call_once(|| {
    let isolate = v8::Isolate::new(v8::CreateParams::default());
    // SAFETY: `new` entered it on this thread and nothing entered another since; leaving it
    // restores the thread's stack of entered isolates (it is never entered or used again).
    unsafe { isolate.exit() };
    std::mem::forget(isolate);
  });
}

fn make(scripts: Vec<ScriptSource>, warmup: Option<ScriptSource>, limits: &Limits) -> Result<Vec<u8>> {
  read_only_heap_from_v8();
  let limit_bytes = (limits.memory_limit_mb * 1024.0 * 1024.0) as usize;
  let limit = Arc::new(MemoryLimit::new(limit_bytes));
  let params =
    v8::CreateParams::default().set_max_old_generation_size_in_bytes(limit_bytes).array_buffer_allocator(memory::allocator(&limit));
  let mut isolate = v8::Isolate::snapshot_creator(None, Some(params));
  memory::watch(&mut isolate, &limit);
  isolate.set_oom_error_handler(super::catastrophe::out_of_memory);
  let handle = isolate.thread_safe_handle();
  let timed_out = Arc::new(AtomicBool::new(false));
  let timer = (limits.timeout_ms > 0).then(|| {
    let timed_out = timed_out.clone();
    Timer::start(Duration::from_millis(limits.timeout_ms as u64), move || {
      timed_out.store(true, Ordering::SeqCst);
      handle.terminate_execution();
    })
  });
  // Compiled code is kept only when a warm-up script compiled what will be used: otherwise it
  // would be the scripts' top-level code, which never runs again, and would only make the
  // snapshot bigger and slower to load.
  let code_handling = if warmup.is_some() { v8::FunctionCodeHandling::Keep } else { v8::FunctionCodeHandling::Clear };
  let ran = run_scripts(&mut isolate, scripts, warmup);
  limit.run_verdict(&mut isolate);
  drop(timer);
  isolate.cancel_terminate_execution();
  crate::platform::pump_foreground_tasks(&isolate);
  // A snapshot creator must make its blob before it goes, whatever happened.
  let blob = isolate.create_blob(code_handling);
  if limit.was_hit() {
    return Err(Error::generic("Failure creating snapshot: the scripts went over the memory limit"));
  }
  if timed_out.load(Ordering::SeqCst) {
    return Err(Error::generic(msg::TIMED_OUT));
  }
  ran?;
  match blob {
    Some(blob) if !blob.is_empty() => Ok(sealed::seal(Kind::Snapshot, &blob)),
    _ => Err(Error::generic("Failure creating snapshot")),
  }
}

/// Runs the scripts in the context the snapshot keeps. With a warm-up script, they also run in a
/// throwaway context followed by the warm-up script, so that the functions it calls are compiled
/// (and kept in the snapshot) without leaving state behind.
fn run_scripts(isolate: &mut v8::Isolate, scripts: Vec<ScriptSource>, warmup: Option<ScriptSource>) -> Result<()> {
  v8::scope!(let scope, isolate);
  let context = v8::Context::new(scope, Default::default());
  scope.set_default_context(context);
  let dirty = warmup.is_some().then(|| v8::Context::new(scope, Default::default()));
  let mut compiled = Vec::with_capacity(scripts.len());
  {
    let scope = &mut v8::ContextScope::new(scope, context);
    for mut source in scripts {
      let script = compile(scope, &mut source)?;
      run(scope, |scope| script.run(scope))?;
      compiled.push(v8::Global::new(scope, script.get_unbound_script(scope)));
    }
  }
  if let (Some(dirty), Some(mut warmup)) = (dirty, warmup) {
    let scope = &mut v8::ContextScope::new(scope, dirty);
    for script in &compiled {
      let script = v8::Local::new(scope, script).bind_to_current_context(scope);
      run(scope, |scope| script.run(scope))?;
    }
    let script = compile(scope, &mut warmup)?;
    run(scope, |scope| script.run(scope))?;
  }
  Ok(())
}

/// Runs code, turning an exception into the error of `createSnapshot`.
fn run<'s, 'i>(
  scope: &mut v8::PinScope<'s, 'i>,
  code: impl FnOnce(&mut v8::PinScope<'s, 'i>) -> Option<v8::Local<'s, v8::Value>>,
) -> Result<()> {
  v8::tc_scope!(let tc, scope);
  if code(tc).is_some() {
    return Ok(());
  }
  match tc.exception() {
    Some(exception) if !tc.has_terminated() => Err(Error::Thrown(v8conv::thrown_from_v8(tc, exception))),
    // Terminated: the caller reports the time or memory limit.
    _ => Ok(()),
  }
}

/// The V8 snapshot inside a sealed snapshot, checked.
pub fn open(mut sealed: Vec<u8>) -> Result<v8::StartupData> {
  let header = sealed::unseal(Kind::Snapshot, &sealed)
    .map(|payload| sealed.len() - payload.len())
    .ok_or_else(|| Error::generic("Snapshot is not valid: it is damaged, or was not made by createSnapshot"))?;
  sealed.drain(..header);
  let data = v8::StartupData::from(sealed);
  if !data.is_valid() {
    return Err(Error::generic("Snapshot is not valid: it was made by another version of isolated-vm"));
  }
  Ok(data)
}

/// One of the scripts, compiled in the current context (no code cache).
fn compile<'s>(scope: &mut v8::PinScope<'s, '_>, source: &mut ScriptSource) -> Result<v8::Local<'s, v8::Script>> {
  let mut v8_source = source.compile_source(scope, false, None)?;
  guard::compile(scope, CompileSite::Own, |scope| {
    v8::script_compiler::compile(
      scope,
      &mut v8_source,
      v8::script_compiler::CompileOptions::NoCompileOptions,
      v8::script_compiler::NoCacheReason::NoReason,
    )
  })
}
