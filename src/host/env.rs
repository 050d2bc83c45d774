//! A Node.js environment (the main thread, or one `worker_thread`) as seen from other threads.
//!
//! Work for an environment's thread (running a host function, settling a promise, releasing a
//! Node value) is posted to its inbox from any thread. A thread-safe function wakes the event
//! loop to drain it. The environment stays alive (keeps the event loop running) while async
//! operations it started are pending, and no longer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;

use napi::sys;
use parking_lot::Mutex;

use super::napi::{call, Napi};
use crate::error::{msg, Error, Result};

/// A job for the environment's thread. It receives `None` if the environment shut down before
/// the job could run, and must then fail whatever it was going to complete.
pub type Job = Box<dyn FnOnce(Option<Napi>) + Send>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

struct Inbox {
  jobs: VecDeque<Job>,
  /// The thread-safe function was called and its callback has not started draining yet.
  signaled: bool,
}

struct Tsfn(sys::napi_threadsafe_function);

/// The raw environment pointer; only made a `Napi` on the environment's own thread (see
/// `NodeEnv::napi`), elsewhere only compared.
struct RawEnv(sys::napi_env);
// SAFETY: the pointer is only dereferenced (by Node-API) on the environment's thread.
unsafe impl Send for RawEnv {}
// SAFETY: as for `Send`.
unsafe impl Sync for RawEnv {}
// SAFETY: Node-API lets any thread call (and release) a thread-safe function; only `ref` and
// `unref`, which take the environment, are used on its thread.
unsafe impl Send for Tsfn {}
// SAFETY: as for `Send`.
unsafe impl Sync for Tsfn {}

pub struct NodeEnv {
  pub id: u64,
  pub thread: ThreadId,
  raw: RawEnv,
  inbox: Mutex<Inbox>,
  tsfn: Tsfn,
  alive: AtomicBool,
  /// Async operations started by this environment and not settled yet.
  pending: AtomicUsize,
  /// Whether the thread-safe function currently keeps the event loop alive. Only changed on
  /// the environment's thread.
  loop_held: AtomicBool,
  /// Values of this environment that the Rust side needs (the facade factory).
  pub(crate) state: Mutex<EnvState>,
  /// Calls on this thread waiting in `wait_serving`, and how `post` wakes them.
  serving_waiters: AtomicUsize,
  nudge: (crossbeam_channel::Sender<()>, crossbeam_channel::Receiver<()>),
}

/// JavaScript values of an environment, kept as Node references.
#[derive(Default)]
pub(crate) struct EnvState {
  pub factory: Option<super::NodeRef>,
  pub lib: Option<super::NodeRef>,
  pub facade_file: Option<String>,
  /// The helpers of lib/host.js (copies of Node values).
  pub host: Option<super::NodeRef>,
}

thread_local! {
  static CURRENT: RefCell<Option<Arc<NodeEnv>>> = const { RefCell::new(None) };
}

impl NodeEnv {
  /// Registers the environment running on this thread (called from module initialization).
  pub fn register(env: Napi) -> Result<Arc<NodeEnv>> {
    if let Some(existing) = NodeEnv::current() {
      return Ok(existing);
    }
    let mut tsfn = null_mut();
    let name = env.string_utf8("isolated-vm")?;
    call!(
      env,
      napi_create_threadsafe_function(null_mut(), null_mut(), name, 0, 1, null_mut(), None, null_mut(), Some(drain_inbox), &mut tsfn)
    )?;
    call!(env, napi_unref_threadsafe_function(tsfn))?;
    let node_env = Arc::new(NodeEnv {
      id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
      thread: std::thread::current().id(),
      raw: RawEnv(env.raw()),
      inbox: Mutex::new(Inbox { jobs: VecDeque::new(), signaled: false }),
      tsfn: Tsfn(tsfn),
      alive: AtomicBool::new(true),
      pending: AtomicUsize::new(0),
      loop_held: AtomicBool::new(false),
      state: Mutex::new(EnvState::default()),
      serving_waiters: AtomicUsize::new(0),
      nudge: crossbeam_channel::bounded(1),
    });
    CURRENT.with(|current| *current.borrow_mut() = Some(node_env.clone()));
    let hook_data = Arc::into_raw(node_env.clone()) as *mut c_void;
    call!(env, napi_add_env_cleanup_hook(Some(on_cleanup), hook_data))?;
    Ok(node_env)
  }

  /// The environment of the current thread, if it is a Node thread.
  pub fn current() -> Option<Arc<NodeEnv>> {
    CURRENT.with(|current| current.borrow().clone())
  }

  pub fn is_current_thread(&self) -> bool {
    std::thread::current().id() == self.thread
  }

  /// The Node-API environment, when called on its thread while it is alive.
  pub fn napi(&self) -> Option<Napi> {
    // SAFETY: Node handed us this environment (`register`), and it is alive on this thread.
    (self.is_current_thread() && self.is_alive()).then(|| unsafe { Napi::from_raw(self.raw.0) })
  }

  /// Whether `napi` is this environment, alive (so that its values can be used with it).
  pub fn is(&self, napi: Napi) -> bool {
    napi.raw() == self.raw.0 && self.is_alive()
  }

  pub fn is_alive(&self) -> bool {
    self.alive.load(Ordering::Acquire)
  }

  /// Posts a job to the environment's thread. Runs it with `None` right away if the environment
  /// is gone.
  pub fn post(&self, job: Job) {
    let mut inbox = self.inbox.lock();
    if !self.is_alive() {
      drop(inbox);
      job(None);
      return;
    }
    inbox.jobs.push_back(job);
    if !inbox.signaled {
      inbox.signaled = true;
      // SAFETY: any thread may call the thread-safe function until it is released, which
      // `on_cleanup` does after clearing `alive` and then taking the inbox lock: called under
      // that lock with `alive` still set, it is not released yet.
      unsafe { sys::napi_call_threadsafe_function(self.tsfn.0, null_mut(), sys::ThreadsafeFunctionCallMode::nonblocking) };
    }
    drop(inbox);
    if self.serving_waiters.load(Ordering::SeqCst) > 0 {
      let _ = self.nudge.0.try_send(());
    }
  }

  /// Runs the queued jobs now. Called on the environment's thread: from the event loop, and by
  /// a thread blocked in a synchronous call so that it keeps serving requests meanwhile.
  pub fn drain(&self, env: Napi) {
    loop {
      let jobs = {
        let mut inbox = self.inbox.lock();
        inbox.signaled = false;
        std::mem::take(&mut inbox.jobs)
      };
      if jobs.is_empty() {
        break;
      }
      for job in jobs {
        let scope = env.open_scope().ok();
        job(Some(env));
        // A job handles its own exceptions; one left behind would surface as an unrelated
        // uncaught exception, so drop it.
        if env.exception_pending() {
          let _ = env.take_exception();
        }
        if let Some(scope) = scope {
          env.close_scope(scope);
        }
      }
    }
    self.update_loop_hold(env);
  }

  /// Waits on this environment's thread for `result`, running the jobs posted meanwhile (host
  /// calls of the isolate being waited for). `None` if the sender went away.
  pub fn wait_serving<R>(&self, env: Napi, result: &crossbeam_channel::Receiver<R>) -> Option<R> {
    self.serving_waiters.fetch_add(1, Ordering::SeqCst);
    let outcome = loop {
      self.drain(env);
      crossbeam_channel::select! {
        recv(result) -> outcome => break outcome.ok(),
        recv(self.nudge.1) -> _ => {}
      }
    };
    self.serving_waiters.fetch_sub(1, Ordering::SeqCst);
    outcome
  }

  /// Marks an async operation as started; the event loop stays alive until the returned token
  /// is dropped. Must be called on the environment's thread.
  pub fn hold(self: &Arc<Self>, env: Napi) -> KeepAlive {
    self.pending.fetch_add(1, Ordering::SeqCst);
    self.update_loop_hold(env);
    KeepAlive { env: self.clone() }
  }

  fn update_loop_hold(&self, env: Napi) {
    let want = self.pending.load(Ordering::SeqCst) > 0;
    if want != self.loop_held.load(Ordering::Relaxed) && self.is(env) {
      self.loop_held.store(want, Ordering::Relaxed);
      // SAFETY: `env` is this environment, alive (so the function is not released yet), and a
      // `Napi` is only used on its own thread.
      unsafe {
        if want {
          sys::napi_ref_threadsafe_function(env.raw(), self.tsfn.0);
        } else {
          sys::napi_unref_threadsafe_function(env.raw(), self.tsfn.0);
        }
      }
    }
  }

  /// Error for work whose environment shut down.
  pub fn gone_error() -> Error {
    Error::generic(msg::ENVIRONMENT_GONE)
  }
}

/// Keeps the environment's event loop alive while an operation is pending.
pub struct KeepAlive {
  env: Arc<NodeEnv>,
}

impl Drop for KeepAlive {
  fn drop(&mut self) {
    if self.env.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
      // Let the environment's thread release its hold on the event loop.
      self.env.post(Box::new(|_| {}));
    }
  }
}

unsafe extern "C" fn drain_inbox(env: sys::napi_env, _js: sys::napi_value, _context: *mut c_void, _data: *mut c_void) {
  if env.is_null() {
    return;
  }
  if let Some(node_env) = NodeEnv::current() {
    // SAFETY: Node calls a thread-safe function's callback on its environment's thread, with it.
    let napi = unsafe { Napi::from_raw(env) };
    let _ = crate::error::catch_panic(|| {
      node_env.drain(napi);
      Ok(())
    });
  }
}

unsafe extern "C" fn on_cleanup(data: *mut c_void) {
  // SAFETY: `register` made `data` with `Arc::into_raw` for this hook, which Node calls once.
  let node_env = unsafe { Arc::from_raw(data as *const NodeEnv) };
  let _ = crate::error::catch_panic(|| {
    node_env.alive.store(false, Ordering::Release);
    let jobs = std::mem::take(&mut node_env.inbox.lock().jobs);
    for job in jobs {
      job(None);
    }
    *node_env.state.lock() = EnvState::default();
    crate::isolate::registry::dispose_owned_by(Some(node_env.id));
    // SAFETY: the function is released once, here; `post` no longer calls it (`alive` is clear,
    // and the inbox lock was taken since).
    unsafe { sys::napi_release_threadsafe_function(node_env.tsfn.0, sys::ThreadsafeFunctionReleaseMode::abort) };
    CURRENT.with(|current| current.borrow_mut().take());
    Ok(())
  });
}
