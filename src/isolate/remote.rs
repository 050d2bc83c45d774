//! A V8 handle of one of our isolates, held by isolated-vm objects anywhere.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{executor, IsolateCore};

/// Counts towards the isolate's `referenceCount` while alive. Opening it requires the isolate to
/// be current on this thread; dropping it is allowed anywhere (the v8 crate defers the release to
/// the next time the isolate is locked).
pub struct Remote<T> {
  pub core: Arc<IsolateCore>,
  global: v8::Global<T>,
}

impl<T> Remote<T> {
  pub fn new(core: &Arc<IsolateCore>, scope: &v8::PinScope<'_, '_, ()>, local: v8::Local<'_, T>) -> Arc<Remote<T>> {
    debug_assert!(executor::is_current(core));
    core.remotes.fetch_add(1, Ordering::Relaxed);
    Arc::new(Remote { core: core.clone(), global: v8::Global::new(scope, local) })
  }

  /// A local handle; the isolate must be the one currently entered.
  pub fn open<'s>(&self, scope: &v8::PinScope<'s, '_, ()>) -> v8::Local<'s, T> {
    v8::Local::new(scope, &self.global)
  }
}

impl<T> Drop for Remote<T> {
  fn drop(&mut self) {
    self.core.remotes.fetch_sub(1, Ordering::Relaxed);
  }
}

impl<T> std::fmt::Debug for Remote<T> {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "Remote(isolate {})", self.core.id)
  }
}
