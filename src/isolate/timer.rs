//! One timer thread for every `timeout` option.
//!
//! `Timer::start` arms a callback; dropping the `Timer` disarms it. Callbacks run on the timer
//! thread with the timer table locked, so once `drop` returns the callback is either done or
//! will never run: a finished call can never be terminated by its own late timer.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

type Callback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Table {
  next_id: u64,
  by_deadline: BTreeMap<(Instant, u64), ()>,
  callbacks: HashMap<u64, (Instant, Callback)>,
  started: bool,
}

struct Timers {
  table: Mutex<Table>,
  wake: Condvar,
}

fn timers() -> &'static Timers {
  static TIMERS: OnceLock<Timers> = OnceLock::new();
  TIMERS.get_or_init(|| Timers { table: Mutex::new(Table::default()), wake: Condvar::new() })
}

pub struct Timer {
  id: u64,
}

impl Timer {
  pub fn start(after: Duration, callback: impl FnOnce() + Send + 'static) -> Timer {
    let timers = timers();
    let mut table = timers.table.lock();
    if !table.started {
      table.started = true;
      std::thread::Builder::new().name("isolated-vm-timer".into()).spawn(run).expect("failed to start the isolated-vm timer thread");
    }
    table.next_id += 1;
    let id = table.next_id;
    let deadline = Instant::now() + after;
    // The timer thread sleeps until the earliest deadline: it only needs waking for an earlier one.
    let earliest = table.by_deadline.keys().next().is_none_or(|(first, _)| deadline < *first);
    table.by_deadline.insert((deadline, id), ());
    table.callbacks.insert(id, (deadline, Box::new(callback)));
    if earliest {
      timers.wake.notify_one();
    }
    Timer { id }
  }
}

impl Timer {
  /// Lets the timer fire even though nobody keeps it (its callback must then be harmless late).
  pub fn detach(self) {
    std::mem::forget(self);
  }
}

impl Drop for Timer {
  fn drop(&mut self) {
    let mut table = timers().table.lock();
    if let Some((deadline, _)) = table.callbacks.remove(&self.id) {
      table.by_deadline.remove(&(deadline, self.id));
    }
  }
}

fn run() {
  let timers = timers();
  let mut table = timers.table.lock();
  loop {
    let next = table.by_deadline.keys().next().copied();
    match next {
      None => {
        timers.wake.wait(&mut table);
      }
      Some((deadline, id)) => {
        let now = Instant::now();
        if deadline > now {
          timers.wake.wait_for(&mut table, deadline - now);
          continue;
        }
        table.by_deadline.remove(&(deadline, id));
        if let Some((_, callback)) = table.callbacks.remove(&id) {
          callback();
        }
      }
    }
  }
}
