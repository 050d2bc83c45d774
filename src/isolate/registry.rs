//! Every live isolate, so that a Node environment shutting down can dispose the isolates it
//! created, and the reaper thread that destroys V8 isolates.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;

use super::core::IsolateCore;

struct Entry {
  core: Weak<IsolateCore>,
  owner_env: Option<u64>,
}

fn live() -> &'static Mutex<HashMap<u64, Entry>> {
  static LIVE: OnceLock<Mutex<HashMap<u64, Entry>>> = OnceLock::new();
  LIVE.get_or_init(Default::default)
}

pub fn register(core: &Arc<IsolateCore>) {
  live().lock().insert(core.id, Entry { core: Arc::downgrade(core), owner_env: core.owner_env });
}

pub fn unregister(id: u64) {
  live().lock().remove(&id);
}

/// Disposes every isolate created by the given Node environment (or all of them, for `None`).
pub fn dispose_owned_by(env: Option<u64>) {
  let owned: Vec<Arc<IsolateCore>> =
    live().lock().values().filter(|entry| env.is_none() || entry.owner_env == env).filter_map(|entry| entry.core.upgrade()).collect();
  for core in owned {
    core.dispose();
  }
}

/// Destroys a disposed isolate's V8 isolate on the reaper thread. Destruction takes the
/// isolate's lock, which a thread holding other isolates must never wait for; if someone still
/// uses the isolate, the last of them destroys it when done.
pub fn reap(shared: Arc<v8::SharedIsolate>, before_teardown: Vec<Box<dyn Send>>) {
  reap_later(Box::new(Reaped { shared, before_teardown }));
}

/// Destroys the V8 isolate of an isolate nobody references any more, on this thread if that is
/// safe and cannot wait: no other thread uses it (only in-flight users hold references to it
/// besides ours) and this thread holds no isolate (destruction takes the isolate's lock).
/// Otherwise it goes to the reaper. Called when Node's garbage collector finalizes the last
/// handle to an isolate, so that its memory is back at once rather than later.
pub fn destroy(shared: Arc<v8::SharedIsolate>, before_teardown: Vec<Box<dyn Send>>) {
  if Arc::strong_count(&shared) > 1 || super::executor::in_any_isolate() {
    return reap(shared, before_teardown);
  }
  drop(Reaped { shared, before_teardown });
  // The reaper returns the freed memory to the system once things are quiet.
  reap_later(Box::new(()));
}

/// A V8 isolate to destroy, with what must go before it while it is still alive.
struct Reaped {
  shared: Arc<v8::SharedIsolate>,
  /// What the layers above kept in the isolate that must go while it is alive and locked
  /// (extensions::Extension::take_before_teardown): the inspector, for one.
  before_teardown: Vec<Box<dyn Send>>,
}

impl Drop for Reaped {
  fn drop(&mut self) {
    if !self.before_teardown.is_empty() {
      let _locker = self.shared.lock();
      self.before_teardown.clear();
    }
  }
}

/// Drops `value` on the reaper thread. For things released from places where dropping them is
/// unsafe: V8 calls backing-store deleters during garbage collection, where releasing V8 handles
/// (which our objects hold) is not allowed.
pub fn reap_later(value: Box<dyn Send>) {
  static REAPER: OnceLock<Mutex<crossbeam_channel::Sender<Box<dyn Send>>>> = OnceLock::new();
  let sender = REAPER.get_or_init(|| {
    let (sender, receiver) = crossbeam_channel::unbounded::<Box<dyn Send>>();
    std::thread::Builder::new()
      .name("isolated-vm-reaper".into())
      .spawn(move || reaper(receiver))
      .expect("failed to start the isolated-vm reaper thread");
    Mutex::new(sender)
  });
  let _ = sender.lock().send(value);
}

/// How long the reaper waits for more work before returning freed memory to the system.
const TRIM_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

fn reaper(receiver: crossbeam_channel::Receiver<Box<dyn Send>>) {
  let mut freed = false;
  loop {
    let next = if freed { receiver.recv_timeout(TRIM_AFTER).map_err(|e| e.is_timeout()) } else { receiver.recv().map_err(|_| false) };
    match next {
      Ok(value) => {
        drop(value);
        freed = true;
      }
      // Quiet for a while after freeing: destroyed isolates leave the allocator's arenas full
      // of free memory that it keeps unless asked, so ask.
      Err(true) => {
        // SAFETY: glibc's `malloc_trim` only returns free memory to the system; no argument
        // can make it unsound.
        unsafe { libc::malloc_trim(0) };
        freed = false;
      }
      Err(false) => return,
    }
  }
}
