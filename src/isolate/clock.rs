//! CPU and wall time an isolate spends running (`cpuTime`, `wallTime`).
//!
//! A window opens when a thread locks the isolate and closes when it unlocks it (including the
//! unlocked stretches of a sync call waiting for another world). While a window is open, the
//! time so far is read from the running thread's CPU clock, so the figures are current even
//! while the isolate is busy on another thread.

use std::time::Instant;

use parking_lot::Mutex;

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
  cpu_start: u64,
  wall_start: Instant,
}

thread_local! {
  /// This thread's CPU clock, readable from other threads.
  static THREAD_CLOCK: libc::clockid_t = {
    let mut clock: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
    unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    clock
  };
}

fn read(clock: libc::clockid_t) -> u64 {
  let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  unsafe { libc::clock_gettime(clock, &mut ts) };
  ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Clock {
  /// Opens a window on the calling thread.
  pub fn start(&self) {
    let thread_clock = THREAD_CLOCK.with(|clock| *clock);
    let window = Window { thread_clock, cpu_start: read(thread_clock), wall_start: Instant::now() };
    self.state.lock().open = Some(window);
  }

  /// Closes the open window, adding its time.
  pub fn stop(&self) {
    let mut state = self.state.lock();
    if let Some(window) = state.open.take() {
      state.cpu_ns += read(window.thread_clock).saturating_sub(window.cpu_start);
      state.wall_ns += window.wall_start.elapsed().as_nanos() as u64;
    }
  }

  /// (cpu, wall) nanoseconds so far, including the open window.
  pub fn totals(&self) -> (u64, u64) {
    let state = self.state.lock();
    match &state.open {
      Some(window) => (
        state.cpu_ns + read(window.thread_clock).saturating_sub(window.cpu_start),
        state.wall_ns + window.wall_start.elapsed().as_nanos() as u64,
      ),
      None => (state.cpu_ns, state.wall_ns),
    }
  }
}
