//! The isolate holder: one of our V8 isolates, its task queue, limits and statistics.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::clock::Clock;
use super::extensions::Extensions;
use super::memory::{self, MemoryLimit};
use super::scheduler::{self, Task, TaskInput};
use crate::error::{msg, Error, Result};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What `onCatastrophicError` becomes: called with the message when V8 dies in the isolate.
pub type CatastropheHandler = Box<dyn Fn(String) + Send + Sync>;

/// Options of `new Isolate(...)` after validation.
pub struct IsolateOptions {
  pub memory_limit_mb: f64,
  pub inspector: bool,
  /// Called with a message when V8 reports a fatal error in the isolate.
  pub on_catastrophic_error: Option<CatastropheHandler>,
  /// The Node environment that created the isolate; its isolates are disposed with it.
  pub owner_env: Option<u64>,
  /// A V8 startup snapshot to start from (checked by ops::snapshot::open).
  pub snapshot: Option<v8::StartupData>,
}

/// State that is only touched while holding the isolate's V8 lock.
#[derive(Default)]
pub struct LockedState {
  /// A context no code has run in, made for compiling when the isolate had no context to
  /// compile in; the next `createContext()` hands it out (see ops::isolate::in_compile_context).
  pub spare_context: Option<v8::Global<v8::Context>>,
  /// The context made last by `createContext()`, while it lives: compiling borrows it.
  pub compile_context: Option<std::sync::Weak<super::Remote<v8::Context>>>,
  /// Promises rejected without a handler during the current task; reported as its error.
  pub unhandled_rejections: Vec<v8::Global<v8::Promise>>,
  /// The facade (lib/facade/), compiled for the in-isolate API.
  pub facade_script: Option<v8::Global<v8::UnboundScript>>,
}

pub(crate) struct TaskQueue {
  pub items: VecDeque<Task>,
  /// True while the isolate sits in the pool's ready queue or is being drained.
  pub scheduled: bool,
  /// True while a task taken from the queue runs.
  pub running: bool,
  /// After `dispose()`: whether the tasks queued before still run (see `dispose`).
  pub after_dispose: bool,
}

pub struct IsolateCore {
  pub id: u64,
  shared: Mutex<Option<Arc<v8::SharedIsolate>>>,
  pub handle: v8::IsolateHandle,
  pub(crate) queue: Mutex<TaskQueue>,
  pub memory: Arc<MemoryLimit>,
  /// V8's heap limit at creation (the near-heap-limit callback may raise it later).
  initial_heap_limit: usize,
  pub locked: Mutex<LockedState>,
  disposed: AtomicBool,
  pub clock: Clock,
  /// Number of live V8 handles held on behalf of isolated-vm objects (`referenceCount`).
  pub remotes: AtomicUsize,
  /// Threads blocked waiting to lock this isolate synchronously; a pool thread draining the
  /// queue steps aside between tasks while this is non-zero.
  pub sync_waiters: AtomicUsize,
  /// Depth of runs currently on this isolate's stack (re-entrant sync calls nest).
  pub run_depth: AtomicUsize,
  /// When V8's foreground tasks for this isolate were last run (see `foreground_tasks_due`).
  last_pump: Mutex<std::time::Instant>,
  pub inspector_enabled: bool,
  pub owner_env: Option<u64>,
  pub on_catastrophic_error: Option<CatastropheHandler>,
  /// Pool threads of this isolate suspended in a synchronous call to Node: Node may then call
  /// back into the isolate synchronously, on its own thread.
  pub waiting_on_node: AtomicUsize,
  /// The thread this isolate is pinned to, if any (see scheduler::pin).
  pub(crate) pinned: Mutex<Option<scheduler::PinnedThread>>,
  /// What the layers above keep in the isolate.
  pub extensions: Extensions,
}

impl IsolateCore {
  /// A new isolate; `install` sets the V8 callbacks of the layers above (modules, fatal
  /// out-of-memory) on it. V8 must have started (platform::init).
  pub fn new(options: IsolateOptions, install: impl FnOnce(&mut v8::Isolate)) -> Result<Arc<IsolateCore>> {
    if !crate::platform::started() {
      return Err(Error::generic("isolated-vm: V8 has not started"));
    }
    let limit_bytes = (options.memory_limit_mb * 1024.0 * 1024.0) as usize;
    let memory = Arc::new(MemoryLimit::new(limit_bytes));
    // Heap sizes as isolated-vm sets them: the old generation gets the whole limit; the young
    // generation stays small (2 MB for 128 MB, at most 16 MB), which keeps creation cheap.
    let young_kb = 2f64.powf((options.memory_limit_mb / 128.0).min(4.0) + 10.0) as usize;
    let mut params = v8::CreateParams::default()
      .set_max_young_generation_size_in_bytes(young_kb * 1024)
      .set_max_old_generation_size_in_bytes(limit_bytes)
      .array_buffer_allocator(memory::allocator(&memory));
    if let Some(snapshot) = options.snapshot {
      params = params.snapshot_blob(snapshot);
    }
    let mut isolate = v8::Isolate::new(params);
    let initial_heap_limit = isolate.get_heap_statistics().heap_size_limit();
    memory::watch(&mut isolate, &memory);
    isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
    isolate.set_promise_reject_callback(super::hooks::promise_reject);
    isolate.set_modify_code_generation_from_strings_callback(super::hooks::allow_code_generation);
    install(&mut isolate);
    let handle = isolate.thread_safe_handle();
    // SAFETY: what hangs off the isolate is `Send`: its callbacks are plain functions, their data
    // the `MemoryLimit` (`Send + Sync`, kept alive by the allocator); it has no slots or embedder
    // data, and the inspector attached later is only used under the lock (`inspector::InspectorCell`). No
    // `Global::open` reference exists yet, and the isolate is still on this thread.
    let shared = unsafe { isolate.try_into_shared() }.map_err(|_| Error::generic("Failed to create isolate"))?;
    let core = Arc::new(IsolateCore {
      id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
      shared: Mutex::new(Some(Arc::new(shared))),
      handle,
      queue: Mutex::new(TaskQueue { items: VecDeque::new(), scheduled: false, running: false, after_dispose: false }),
      memory,
      initial_heap_limit,
      locked: Mutex::new(LockedState::default()),
      disposed: AtomicBool::new(false),
      clock: Clock::default(),
      remotes: AtomicUsize::new(0),
      sync_waiters: AtomicUsize::new(0),
      run_depth: AtomicUsize::new(0),
      last_pump: Mutex::new(std::time::Instant::now()),
      inspector_enabled: options.inspector,
      owner_env: options.owner_env,
      on_catastrophic_error: options.on_catastrophic_error,
      waiting_on_node: AtomicUsize::new(0),
      pinned: Mutex::new(None),
      extensions: Extensions::default(),
    });
    super::registry::register(&core);
    Ok(core)
  }

  /// The V8 isolate, unless disposed.
  pub(crate) fn shared(&self) -> Option<Arc<v8::SharedIsolate>> {
    self.shared.lock().clone()
  }

  /// Whether to run V8's foreground tasks on leaving the isolate. They are GC follow-ups and
  /// similar housekeeping that may wait a little; checking the platform's queue costs a lock, so
  /// it is done at most every few milliseconds rather than after every call.
  pub fn foreground_tasks_due(&self) -> bool {
    const INTERVAL: std::time::Duration = std::time::Duration::from_millis(5);
    let mut last = self.last_pump.lock();
    let now = std::time::Instant::now();
    if now.duration_since(*last) >= INTERVAL {
      *last = now;
      true
    } else {
      false
    }
  }

  pub fn initial_heap_limit(&self) -> usize {
    self.initial_heap_limit
  }

  pub fn cpu_time_ns(&self) -> u64 {
    self.clock.totals().0
  }

  pub fn wall_time_ns(&self) -> u64 {
    self.clock.totals().1
  }

  pub fn reference_count(&self) -> usize {
    self.remotes.load(Ordering::Relaxed)
  }

  pub fn is_disposed(&self) -> bool {
    self.disposed.load(Ordering::Acquire)
  }

  pub fn check_alive(&self) -> Result<()> {
    if self.is_disposed() {
      Err(Error::generic(msg::ISOLATE_DISPOSED))
    } else {
      Ok(())
    }
  }

  /// Disposes the isolate: running code is terminated, queued tasks fail, the V8 isolate is
  /// destroyed once nobody is using it. Returns false if it was already disposed.
  ///
  /// Calls queued before, as in isolated-vm: they still run, in order, until one would run
  /// JavaScript. Work without JavaScript (creating a context, compiling, heap statistics,
  /// reading a property) completes; the first call that would run code fails with "Isolate was
  /// disposed during execution" (as does code running now), and the calls after it with
  /// "Isolate is disposed".
  pub fn dispose(&self) -> bool {
    // A pinned isolate's thread stops at once: its queue is not drained.
    let pinned = self.pinned.lock().take().is_some();
    // The flag is set under the queue's lock, with whether the queued tasks still run: a pool
    // thread between two tasks that saw one without the other failed them all.
    let drained = {
      let mut queue = self.queue.lock();
      if self.disposed.swap(true, Ordering::AcqRel) {
        return false;
      }
      queue.after_dispose = queue.scheduled && !pinned;
      queue.after_dispose
    };
    self.handle.terminate_execution();
    // Else the pool fails the queued tasks and lets the isolate go when done (scheduler::drain).
    if !drained {
      self.cancel_queued();
      self.release_isolate();
    }
    self.extensions.disposed();
    super::registry::unregister(self.id);
    true
  }

  /// Ends a unit of work on the isolate: runs the memory verdict asked for meanwhile (see
  /// isolate::memory), and disposes the isolate if it went over its limit. Whatever the work
  /// did (running code, creating contexts, compiling), going over the limit ends it this way.
  pub fn check_memory(&self, isolate: &mut v8::Isolate) -> Result<()> {
    self.memory.run_verdict(isolate);
    if self.memory.was_hit() {
      self.dispose();
      return Err(Error::generic(msg::MEMORY_LIMIT));
    }
    Ok(())
  }

  /// Called when code of a disposed isolate was stopped or refused: the tasks still queued
  /// fail (see `dispose`).
  pub fn stop_after_dispose(&self) {
    self.queue.lock().after_dispose = false;
  }

  /// Fails the queued tasks of a disposed isolate.
  pub(crate) fn cancel_queued(&self) {
    let cancelled: Vec<Task> = {
      let mut queue = self.queue.lock();
      queue.scheduled = false;
      queue.items.drain(..).collect()
    };
    for task in cancelled {
      task(TaskInput::Cancelled);
    }
  }

  /// Lets the V8 isolate of a disposed isolate go. Dropping the last reference destroys it,
  /// which takes its lock: that happens on the reaper thread, never on a thread that may hold
  /// other isolates; if someone still uses it, the last of them destroys it when done.
  pub(crate) fn release_isolate(&self) {
    let shared = self.shared.lock().take();
    let before_teardown = self.extensions.take_before_teardown();
    if let Some(shared) = shared {
      super::registry::reap(shared, before_teardown);
    }
  }

  /// Whether this isolate survives V8's fatal errors (it has `onCatastrophicError`).
  pub fn survives_fatal_errors(&self) -> bool {
    self.on_catastrophic_error.is_some()
  }

  /// Whether synchronous calls from Node must run this isolate on another thread while Node's
  /// thread waits, serving host calls: isolates that survive fatal errors (Node's thread cannot
  /// be given up), inspectable ones (a paused isolate needs Node's thread to deliver the
  /// debugger's messages) and pinned ones.
  pub fn runs_off_node_thread(&self) -> bool {
    self.survives_fatal_errors() || self.inspector_enabled || self.pinned.lock().is_some()
  }

  /// Whether this thread may run the isolate's queue (not if it is pinned to another thread).
  pub fn may_run_on_this_thread(&self) -> bool {
    let current = std::thread::current().id();
    match &*self.pinned.lock() {
      Some(pinned) => pinned.thread == current,
      None => true,
    }
  }

  /// Gives the isolate up after a fatal V8 error on this thread, without touching V8 again: it
  /// counts as disposed, queued tasks fail, and the V8 isolate is leaked (destroying it could
  /// crash). Returns false if it was already given up.
  pub(crate) fn abandon(&self) -> bool {
    if self.disposed.swap(true, Ordering::AcqRel) {
      return false;
    }
    std::mem::forget(self.shared.lock().take());
    self.cancel_queued();
    super::registry::unregister(self.id);
    true
  }

  /// Queues a task; tasks run in the order they were queued, on the pool.
  pub fn post(self: &Arc<Self>, task: Task) {
    let mut queue = self.queue.lock();
    if self.is_disposed() {
      drop(queue);
      task(TaskInput::Cancelled);
      return;
    }
    queue.items.push_back(task);
    if !queue.scheduled {
      queue.scheduled = true;
      drop(queue);
      scheduler::schedule(self.clone());
    }
  }
}

impl Drop for IsolateCore {
  fn drop(&mut self) {
    // An isolate nobody references any more is disposed like an explicit `dispose()`, except
    // that its V8 isolate is destroyed right away when that is safe: this runs when Node's
    // garbage collector finalizes the last handle, and the memory should be back then.
    let shared = self.shared.lock().take();
    let before_teardown = self.extensions.take_before_teardown();
    self.dispose();
    if let Some(shared) = shared {
      super::registry::destroy(shared, before_teardown);
    }
  }
}

impl std::fmt::Debug for IsolateCore {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "Isolate({})", self.id)
  }
}
