//! The thread pool that drains isolates' task queues.
//!
//! Each isolate has one FIFO queue (`IsolateCore::post`). An isolate with queued work sits once
//! in the pool's ready list; a worker takes it, locks it, and runs its tasks in order until the
//! queue is empty, so consecutive tasks of an isolate stay on one thread (V8 archives per-thread
//! state whenever the locking thread changes). A worker steps aside between tasks when a
//! synchronous caller is waiting for the isolate.
//!
//! Workers that block (a synchronous host call waiting for Node, `applySyncPromise`) are not
//! counted against the pool size: `blocking` lets another worker start meanwhile, so blocked
//! isolates never starve the others.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use parking_lot::{Condvar, Mutex};

use super::core::IsolateCore;
use super::executor;

/// What a task is given: the locked isolate, or notice that it will never run.
pub enum TaskInput<'a> {
  Run(&'a mut v8::Isolate),
  Cancelled,
}

pub type Task = Box<dyn for<'a> FnOnce(TaskInput<'a>) + Send>;

/// The most threads the pool grows to while workers are blocked.
const MAX_THREADS: usize = 256;
const STACK_SIZE: usize = 8 << 20;

struct PoolState {
  ready: VecDeque<Arc<IsolateCore>>,
  threads: usize,
  idle: usize,
  blocked: usize,
}

struct Pool {
  state: Mutex<PoolState>,
  wake: Condvar,
  /// Workers that may run at once (blocked ones excluded).
  size: usize,
}

fn pool() -> &'static Pool {
  static POOL: OnceLock<Pool> = OnceLock::new();
  POOL.get_or_init(|| Pool {
    state: Mutex::new(PoolState { ready: VecDeque::new(), threads: 0, idle: 0, blocked: 0 }),
    wake: Condvar::new(),
    size: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2),
  })
}

/// Puts an isolate with queued work on the ready list (or wakes its own thread, if pinned).
pub(crate) fn schedule(core: Arc<IsolateCore>) {
  if let Some(pinned) = &*core.pinned.lock() {
    let _ = pinned.wake.send(());
    return;
  }
  let pool = pool();
  let mut state = pool.state.lock();
  state.ready.push_back(core);
  if state.idle > 0 {
    pool.wake.notify_one();
  } else {
    maybe_spawn(pool, &mut state);
  }
}

fn maybe_spawn(pool: &'static Pool, state: &mut PoolState) {
  let running = state.threads - state.blocked;
  if running < pool.size && state.threads < MAX_THREADS {
    state.threads += 1;
    let spawned = std::thread::Builder::new().name("isolated-vm".into()).stack_size(STACK_SIZE).spawn(move || worker(pool));
    if spawned.is_err() {
      state.threads -= 1;
    }
  }
}

fn worker(pool: &'static Pool) {
  loop {
    let core = {
      let mut state = pool.state.lock();
      loop {
        if let Some(core) = state.ready.pop_front() {
          break core;
        }
        state.idle += 1;
        pool.wake.wait(&mut state);
        state.idle -= 1;
      }
    };
    drain(&core);
  }
}

/// Runs the isolate's tasks in order until its queue is empty.
fn drain(core: &Arc<IsolateCore>) {
  loop {
    let outcome = executor::with_isolate(core, |isolate| loop {
      if !core.may_run_on_this_thread() {
        return Drained::Handoff;
      }
      let task = {
        let mut queue = core.queue.lock();
        // Tasks queued before `dispose()` may still run (see IsolateCore::dispose).
        if core.is_disposed() && !queue.after_dispose {
          return Drained::Disposed;
        }
        match queue.items.pop_front() {
          Some(task) => {
            queue.running = true;
            task
          }
          None => {
            queue.scheduled = false;
            // Read under the lock, as `dispose()` sets it: disposed already, it left the queue
            // to this drain, which lets the isolate go; disposed later, it sees the queue idle
            // (or a new drain scheduled) and this drain must not touch what is queued since.
            return if core.is_disposed() { Drained::Disposed } else { Drained::Empty };
          }
        }
      };
      // A panic in a task must not kill the worker; the task's completion reports it.
      let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(TaskInput::Run(isolate))));
      core.queue.lock().running = false;
      if core.sync_waiters.load(Ordering::SeqCst) > 0 {
        return Drained::Yield;
      }
    });
    match outcome {
      Ok(Drained::Empty) => return,
      Ok(Drained::Disposed) | Err(_) => {
        // Disposed: fail what is still queued, in order, and let the V8 isolate go.
        core.cancel_queued();
        core.release_isolate();
        return;
      }
      Ok(Drained::Yield) => std::thread::yield_now(),
      Ok(Drained::Handoff) => {
        // Pinned to another thread meanwhile (or unpinned from this one): pass the queue on.
        let queued = {
          let mut queue = core.queue.lock();
          queue.scheduled = !queue.items.is_empty();
          queue.scheduled
        };
        if queued {
          schedule(core.clone());
        }
        return;
      }
    }
  }
}

enum Drained {
  Empty,
  Yield,
  Handoff,
  Disposed,
}

/// A thread of its own for an isolate that must not move between threads (while it is being
/// profiled: V8's sampler signals the thread that started it).
pub struct PinnedThread {
  pub thread: std::thread::ThreadId,
  /// The thread's id in the operating system (`ThreadCpuProfile.threadId`).
  pub os_id: i64,
  wake: crossbeam_channel::Sender<()>,
}

/// Pins `core` to a new thread, which runs its queue until `unpin`.
pub fn pin(core: &Arc<IsolateCore>) -> Result<(), std::io::Error> {
  let mut pinned = core.pinned.lock();
  if pinned.is_some() {
    return Ok(());
  }
  let (wake, woken) = crossbeam_channel::unbounded::<()>();
  let (ready, started) = crossbeam_channel::bounded(1);
  let thread_core = core.clone();
  let handle = std::thread::Builder::new().name("isolated-vm".into()).stack_size(STACK_SIZE).spawn(move || {
    // SAFETY: `gettid` takes no argument and cannot fail.
    let _ = ready.send(unsafe { libc::syscall(libc::SYS_gettid) });
    run_pinned(&thread_core, &woken);
  })?;
  let os_id = started.recv().unwrap_or(0);
  *pinned = Some(PinnedThread { thread: handle.thread().id(), os_id, wake });
  drop(pinned);
  // Whatever is queued moves over at the next task boundary (see `drain`).
  let _ = core.pinned.lock().as_ref().map(|p| p.wake.send(()));
  Ok(())
}

/// Lets the isolate run on the pool again; its thread ends.
pub fn unpin(core: &Arc<IsolateCore>) {
  let previous = core.pinned.lock().take();
  drop(previous);
  let queued = {
    let mut queue = core.queue.lock();
    let queued = !queue.items.is_empty() && !queue.scheduled;
    if queued {
      queue.scheduled = true;
    }
    queued
  };
  if queued {
    schedule(core.clone());
  }
}

fn run_pinned(core: &Arc<IsolateCore>, woken: &crossbeam_channel::Receiver<()>) {
  // The channel closes when `unpin` drops the sender.
  while woken.recv().is_ok() {
    if core.is_disposed() {
      break;
    }
    let mut queue = core.queue.lock();
    if queue.items.is_empty() {
      continue;
    }
    queue.scheduled = true;
    drop(queue);
    drain(core);
  }
}

/// Runs `f`, which blocks, without holding back the pool: if this is a pool worker, another
/// worker may start while it waits.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
  let is_worker = std::thread::current().name() == Some("isolated-vm");
  if !is_worker {
    return f();
  }
  let pool = pool();
  {
    let mut state = pool.state.lock();
    state.blocked += 1;
    if !state.ready.is_empty() && state.idle == 0 {
      maybe_spawn(pool, &mut state);
    }
  }
  let _unblock = Unblock(pool);
  f()
}

struct Unblock(&'static Pool);

impl Drop for Unblock {
  fn drop(&mut self) {
    self.0.state.lock().blocked -= 1;
  }
}
