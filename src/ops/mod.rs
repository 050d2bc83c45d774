//! The operations behind the API, independent of who calls them.
//!
//! An operation has three phases, as in isolated-vm: arguments are made transferable in the
//! caller's world (by the front-end), the work runs in the target world (an isolate, or a Node
//! environment for references to host values), and the result is rebuilt in the caller's world.
//! `dispatch` runs the middle phase synchronously, asynchronously (a promise) or ignored.

pub mod callback;
pub mod catastrophe;
pub mod context;
pub mod front;
pub mod guard;
pub mod inspector;
pub mod isolate;
pub mod module;
pub mod profiler;
pub mod reference;
pub mod script;
pub mod sealed;
pub mod snapshot;
pub mod source;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{msg, Error, Result};
use crate::host::napi::Napi;
use crate::host::NodeEnv;
use crate::isolate::scheduler::TaskInput;
use crate::isolate::{executor, scheduler, IsolateCore};
use crate::transfer::Transferable;
use front::Front;

/// A world values live in.
#[derive(Clone)]
pub enum Realm {
  Node(Arc<NodeEnv>),
  Isolate(Arc<IsolateCore>),
}

/// How an operation is run, as the facade passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
  Sync = 0,
  Async = 1,
  Ignored = 2,
  /// `applySyncPromise`: synchronous, and waits for a returned promise to settle.
  SyncPromise = 3,
}

impl Mode {
  /// Every mode, by the name the facade gives it (see api::protocol).
  pub const ALL: [(&'static str, Mode); 4] =
    [("SYNC", Mode::Sync), ("ASYNC", Mode::Async), ("IGNORED", Mode::Ignored), ("SYNC_PROMISE", Mode::SyncPromise)];

  pub fn from_number(n: f64) -> Mode {
    Mode::ALL.iter().find(|(_, mode)| *mode as u32 as f64 == n).map_or(Mode::Sync, |(_, mode)| *mode)
  }
}

/// Work to run in one of our isolates, with it locked.
pub type IsolateWork = Box<dyn FnOnce(&mut v8::Isolate) -> Result<Transferable> + Send>;
/// Work to run on a Node environment's thread.
pub type NodeWork = Box<dyn FnOnce(Napi) -> Result<Transferable> + Send>;

/// Where an operation's work runs.
pub enum Work {
  Isolate(Arc<IsolateCore>, IsolateWork),
  Node(Arc<NodeEnv>, NodeWork),
}

/// Runs an operation in the given mode and sets the caller's result.
pub fn dispatch(front: &mut dyn Front, mode: Mode, work: Work) -> Result<()> {
  match mode {
    Mode::Sync => {
      let value = run_sync(work)?;
      front.ret(value)
    }
    Mode::SyncPromise => {
      // `applySyncPromise`: isolate code waits here, with its isolate unlocked, for a promise
      // returned by a Node function. Node itself would wait forever.
      if NodeEnv::current().is_some() {
        return Err(Error::generic(msg::NOT_FROM_DEFAULT_THREAD));
      }
      let value = match run_sync(work)? {
        Transferable::Promise(state) => executor::suspend_current(|| scheduler::blocking(|| state.wait_blocking()))?,
        value => value,
      };
      front.ret(value)
    }
    Mode::Async => {
      let completion = front.ret_promise()?;
      run_async(work, Box::new(move |result| completion.settle(result)));
      Ok(())
    }
    Mode::Ignored => {
      let hold = front.hold();
      run_async(work, Box::new(move |_| drop(hold)));
      front.ret(Transferable::Undefined)
    }
  }
}

/// Runs work now, on this thread when possible, and returns its result.
pub fn run_sync(work: Work) -> Result<Transferable> {
  match work {
    Work::Isolate(core, work) => {
      if core.is_disposed() {
        // Sic: isolated-vm's wording for synchronous calls.
        return Err(Error::generic(msg::ISOLATED_DISPOSED));
      }
      if executor::is_current(&core) {
        return executor::with_isolate(&core, |isolate| finish(&core, isolate, work))?;
      }
      let Some(env) = NodeEnv::current() else {
        // A pool thread running one isolate may not block on another one (isolated-vm's rule:
        // it could deadlock with an isolate waiting for this one).
        return Err(Error::generic(msg::SYNC_FROM_ASYNC));
      };
      // Unless the isolate is waiting for this very thread (a host function calling back).
      if core.runs_off_node_thread() && core.waiting_on_node.load(Ordering::SeqCst) == 0 {
        return run_sync_on_pool(&env, Work::Isolate(core, work));
      }
      executor::with_isolate(&core, |isolate| finish(&core, isolate, work))?
    }
    Work::Node(env, work) => run_sync_on_node(&env, work),
  }
}

/// Runs isolate work; going over the memory limit meanwhile turns its result into the
/// memory-limit error. Errors cross to the caller as errors of another world.
fn finish(core: &IsolateCore, isolate: &mut v8::Isolate, work: IsolateWork) -> Result<Transferable> {
  let result = work(isolate);
  core.check_memory(isolate).map_err(Error::crossed)?;
  result.map_err(Error::crossed)
}

/// Runs work on a Node environment's thread and waits for the result. From another thread the
/// current isolate is unlocked while waiting, so that Node can call into it meanwhile.
pub fn run_sync_on_node<R: Send + 'static>(env: &Arc<NodeEnv>, work: Box<dyn FnOnce(Napi) -> Result<R> + Send>) -> Result<R> {
  if env.is_current_thread() {
    let napi = env.napi().ok_or_else(NodeEnv::gone_error)?;
    // Called from Node itself, an exception thrown by Node code stays pending as it is; called
    // from isolate code (running on this thread), it is taken and flattened to cross over, and
    // the time spent in Node is not the isolate's CPU time.
    return match executor::current() {
      None => work(napi),
      Some(core) => core.clock.pause_cpu(|| work(napi)).map_err(|error| crate::host::errors::take_thrown(napi, error)),
    };
  }
  let (sender, receiver) = crossbeam_channel::bounded(1);
  env.post(Box::new(move |napi| {
    let result = match napi {
      Some(napi) => work(napi).map_err(|error| crate::host::errors::take_thrown(napi, error)),
      None => Err(NodeEnv::gone_error()),
    };
    let _ = sender.send(result);
  }));
  let waiting = executor::current();
  if let Some(core) = &waiting {
    core.waiting_on_node.fetch_add(1, Ordering::SeqCst);
  }
  let result = executor::suspend_current(|| scheduler::blocking(|| receiver.recv()));
  if let Some(core) = &waiting {
    core.waiting_on_node.fetch_sub(1, Ordering::SeqCst);
  }
  result.unwrap_or_else(|_| Err(NodeEnv::gone_error()))
}

/// Runs isolate work on the pool for a Node thread, which serves host calls while it waits (see
/// ops::catastrophe for why).
fn run_sync_on_pool(env: &Arc<NodeEnv>, work: Work) -> Result<Transferable> {
  let napi = env.napi().ok_or_else(NodeEnv::gone_error)?;
  let (sender, receiver) = crossbeam_channel::bounded(1);
  run_async(
    work,
    Box::new(move |result| {
      let _ = sender.send(result);
    }),
  );
  env.wait_serving(napi, &receiver).unwrap_or_else(|| Err(Error::generic(msg::DISPOSED_DURING_EXECUTION)))
}

/// Queues work; `done` receives its result (or the error that it could not run).
pub fn run_async(work: Work, done: Box<dyn FnOnce(Result<Transferable>) + Send>) {
  match work {
    Work::Isolate(core, work) if core.survives_fatal_errors() => {
      // The outcome handler is reachable from the isolate while the task runs, so that a fatal
      // error can still answer it.
      let rescue = Arc::new(catastrophe::Rescue::new(Some(done)));
      let task_core = core.clone();
      let in_flight = core.extensions.get::<catastrophe::InFlight>();
      core.post(Box::new(move |input| {
        let result = match input {
          TaskInput::Run(isolate) => {
            *in_flight.0.lock() = Some(rescue.clone());
            let result = finish(&task_core, isolate, work);
            in_flight.0.lock().take();
            result
          }
          TaskInput::Cancelled => Err(Error::generic(msg::ISOLATE_DISPOSED)),
        };
        if let Some(done) = rescue.lock().take() {
          done(result);
        }
      }))
    }
    Work::Isolate(core, work) => {
      let task_core = core.clone();
      core.post(Box::new(move |input| match input {
        TaskInput::Run(isolate) => done(finish(&task_core, isolate, work)),
        TaskInput::Cancelled => done(Err(Error::generic(msg::ISOLATE_DISPOSED))),
      }))
    }
    Work::Node(env, work) => env.post(Box::new(move |napi| match napi {
      Some(napi) => done(work(napi).map_err(|error| crate::host::errors::take_thrown(napi, error))),
      None => done(Err(NodeEnv::gone_error())),
    })),
  }
}
