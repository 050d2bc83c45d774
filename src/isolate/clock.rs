//! CPU and wall time an isolate spends running (`cpuTime`, `wallTime`).
//!
//! A window opens when a thread locks the isolate and closes when it unlocks it (including the
//! unlocked stretches of a sync call waiting for another world). While a window is open, the
//! time so far is read from the running thread's CPU clock, so the figures are current even
//! while the isolate is busy on another thread.
//!
//! Reading a thread's CPU clock is a system call (no vDSO), which would cost more than a whole
//! `evalSync('1+1')` if done twice per call. So each thread keeps its last reading: a window
//! opening less than `FRESH` after it starts from that reading plus the wall time since (the
//! thread was running then: it was executing JavaScript or our code), and a window shorter
//! than `SHORT` is counted at its wall time. Long windows always read the clock at the end, so
//! sleeping or blocking inside them is not counted.

use std::cell::Cell;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

const FRESH: Duration = Duration::from_millis(1);
const SHORT: Duration = Duration::from_micros(100);

#[derive(Default)]
pub struct Clock {
  state: Mutex<State>,
}

#[derive(Default)]
struct State {
  cpu_ns: u64,
  wall_ns: u64,
  open: Option<Window>,
}

struct Window {
  thread_clock: libc::clockid_t,
  wall_start: Instant,
  /// The running CPU segment (none while paused in a host call): CPU and wall time at its start.
  segment: Option<(u64, Instant)>,
}

struct ThreadClock {
  id: libc::clockid_t,
  /// The last reading of this thread's CPU clock, and when it was taken.
  last: Cell<Option<(u64, Instant)>>,
}

thread_local! {
  static THREAD_CLOCK: ThreadClock = {
    let mut id: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
    // SAFETY: this thread's own id and a pointer to a local.
    unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
    ThreadClock { id, last: Cell::new(None) }
  };
}

fn read(clock: libc::clockid_t) -> u64 {
  let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  // SAFETY: a pointer to a local `timespec`; an invalid clock id only fails (leaving it zero).
  unsafe { libc::clock_gettime(clock, &mut ts) };
  ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl ThreadClock {
  fn read_now(&self, now: Instant) -> u64 {
    let cpu = read(self.id);
    self.last.set(Some((cpu, now)));
    cpu
  }

  /// This thread's CPU time now, estimated from a recent reading when there is one.
  fn cpu_at(&self, now: Instant) -> u64 {
    match self.last.get() {
      Some((cpu, at)) if now.duration_since(at) < FRESH => cpu + now.duration_since(at).as_nanos() as u64,
      _ => self.read_now(now),
    }
  }
}

/// CPU time of a segment that ends now.
fn segment_cpu((cpu_start, wall_start): (u64, Instant), now: Instant) -> u64 {
  let wall = now.duration_since(wall_start);
  if wall < SHORT {
    wall.as_nanos() as u64
  } else {
    THREAD_CLOCK.with(|clock| clock.read_now(now)).saturating_sub(cpu_start)
  }
}

fn start_segment(now: Instant) -> (u64, Instant) {
  (THREAD_CLOCK.with(|clock| clock.cpu_at(now)), now)
}

impl Clock {
  /// Opens a window on the calling thread.
  pub fn start(&self) {
    let now = Instant::now();
    let thread_clock = THREAD_CLOCK.with(|clock| clock.id);
    self.state.lock().open = Some(Window { thread_clock, wall_start: now, segment: Some(start_segment(now)) });
  }

  /// Closes the open window, adding its time.
  pub fn stop(&self) {
    let now = Instant::now();
    let mut state = self.state.lock();
    if let Some(window) = state.open.take() {
      if let Some(segment) = window.segment {
        state.cpu_ns += segment_cpu(segment, now);
      }
      state.wall_ns += now.duration_since(window.wall_start).as_nanos() as u64;
    }
  }

  /// Runs `f` (a host call made on this thread) with the CPU clock paused; wall time goes on.
  pub fn pause_cpu<R>(&self, f: impl FnOnce() -> R) -> R {
    let paused = {
      let mut state = self.state.lock();
      let segment = state.open.as_mut().and_then(|window| window.segment.take());
      if let Some(segment) = segment {
        state.cpu_ns += segment_cpu(segment, Instant::now());
      }
      segment.is_some()
    };
    let result = f();
    if paused {
      if let Some(window) = self.state.lock().open.as_mut() {
        window.segment = Some(start_segment(Instant::now()));
      }
    }
    result
  }

  /// Runs `f` (the isolate re-entered on this thread, from a host call made with the CPU clock
  /// paused) with the CPU clock running; it is paused again afterwards.
  pub fn resume_cpu<R>(&self, f: impl FnOnce() -> R) -> R {
    let resumed = {
      let mut state = self.state.lock();
      match state.open.as_mut() {
        Some(window) if window.segment.is_none() => {
          window.segment = Some(start_segment(Instant::now()));
          true
        }
        _ => false,
      }
    };
    let result = f();
    if resumed {
      let mut state = self.state.lock();
      let segment = state.open.as_mut().and_then(|window| window.segment.take());
      if let Some(segment) = segment {
        state.cpu_ns += segment_cpu(segment, Instant::now());
      }
    }
    result
  }

  /// (cpu, wall) nanoseconds so far, including the open window.
  pub fn totals(&self) -> (u64, u64) {
    let state = self.state.lock();
    match &state.open {
      Some(window) => (
        state.cpu_ns + window.segment.map_or(0, |(cpu_start, _)| read(window.thread_clock).saturating_sub(cpu_start)),
        state.wall_ns + window.wall_start.elapsed().as_nanos() as u64,
      ),
      None => (state.cpu_ns, state.wall_ns),
    }
  }
}
