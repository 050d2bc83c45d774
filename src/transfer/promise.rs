//! The `promise` transfer option: a promise of one world settles a new promise in another.
//!
//! The source side waits for its promise (or takes a plain value as already resolved) and
//! stores the transferred outcome here; every world the value reaches gets its own promise,
//! settled with a copy of that outcome.

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::Transferable;
use crate::error::{Error, Result, Thrown};

/// Waits for the outcome: settles a promise of some world with it (an ops::completion).
pub type Waiter = Box<dyn FnOnce(Result<Transferable>) + Send>;

#[derive(Default)]
pub struct PromiseState {
  inner: Mutex<Inner>,
  settled: Condvar,
}

#[derive(Default)]
struct Inner {
  outcome: Option<std::result::Result<Transferable, Thrown>>,
  waiting: Vec<Waiter>,
}

fn outcome_of(result: Result<Transferable>) -> std::result::Result<Transferable, Thrown> {
  match result {
    Ok(value) => Ok(value),
    Err(Error::Thrown(thrown)) => Err(thrown),
    Err(Error::Pending) => Err(Thrown::Error(crate::error::ErrorData {
      kind: crate::error::ErrorKind::Error,
      name: None,
      message: "Promise was abandoned".into(),
      stack: None,
    })),
  }
}

impl PromiseState {
  pub fn new() -> Arc<PromiseState> {
    Arc::new(PromiseState::default())
  }

  /// Records the outcome (the first one wins) and settles every waiting promise.
  pub fn settle(&self, result: Result<Transferable>) {
    let waiting = {
      let mut inner = self.inner.lock();
      if inner.outcome.is_some() {
        return;
      }
      inner.outcome = Some(outcome_of(result));
      self.settled.notify_all();
      std::mem::take(&mut inner.waiting)
    };
    let outcome = self.inner.lock().outcome.clone().expect("just set");
    for waiter in waiting {
      waiter(outcome.clone().map_err(Error::Thrown));
    }
  }

  pub fn is_settled(&self) -> bool {
    self.inner.lock().outcome.is_some()
  }

  /// Gives `waiter` the outcome, now or once it is known.
  pub fn wait(&self, waiter: impl FnOnce(Result<Transferable>) + Send + 'static) {
    let mut inner = self.inner.lock();
    match &inner.outcome {
      Some(outcome) => {
        let outcome = outcome.clone();
        drop(inner);
        waiter(outcome.map_err(Error::Thrown));
      }
      None => inner.waiting.push(Box::new(waiter)),
    }
  }

  /// Blocks until the outcome is known (`applySyncPromise`).
  pub fn wait_blocking(&self) -> Result<Transferable> {
    let mut inner = self.inner.lock();
    while inner.outcome.is_none() {
      self.settled.wait(&mut inner);
    }
    inner.outcome.clone().expect("checked above").map_err(Error::Thrown)
  }
}

impl Drop for PromiseState {
  fn drop(&mut self) {
    // Nobody will settle it any more (its world went away).
    let waiting = std::mem::take(&mut self.inner.get_mut().waiting);
    for waiter in waiting {
      waiter(Err(Error::generic("Promise was abandoned")));
    }
  }
}

impl std::fmt::Debug for PromiseState {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "PromiseState")
  }
}
