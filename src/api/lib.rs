//! `ivm.lib`, isolated-vm's utilities object (class `Lib`).

use std::sync::atomic::{AtomicI64, Ordering};

use crate::api::parameters;
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::transfer::handle::Handle;
use crate::transfer::Transferable;

parameters!(new_at: lib);
/// `libNew`: makes the facade's `ivm.lib` a Lib, so that it can be passed on.
pub fn new(front: &mut dyn Front) -> Result<()> {
  front.bind(new_at::lib, Handle::Lib)
}

/// Nanoseconds from the monotonic clock to the clock of the host's `process.hrtime`: 0 on Node
/// (libuv's `uv_hrtime` reads the monotonic clock), the runtime's start on others (Bun counts
/// from it). Set once the host is known (see `set_hrtime_base`).
static HRTIME_OFFSET_NS: AtomicI64 = AtomicI64::new(0);

fn monotonic_ns() -> Result<i64> {
  let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  // SAFETY: a valid clock id and a pointer to a local `timespec`.
  if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
    return Err(Error::generic("The monotonic clock is not available"));
  }
  Ok(now.tv_sec * 1_000_000_000 + now.tv_nsec)
}

/// Records what the host's `process.hrtime` reads now (`[seconds, nanoseconds]`), so that
/// `lib.hrtime` reads the same clock, in the host and in every isolate.
pub fn set_hrtime_base(seconds: f64, nanoseconds: f64) -> Result<()> {
  let host = (seconds as i64) * 1_000_000_000 + nanoseconds as i64;
  HRTIME_OFFSET_NS.store(host - monotonic_ns()?, Ordering::Relaxed);
  Ok(())
}

parameters!(offset_at:);
/// `hrtimeOffset` (Node only): how far the host's clock is from the system's monotonic clock, in
/// nanoseconds. An out-of-process isolate's child takes its parent's (`setHrtimeOffset`), so that
/// `lib.hrtime` there reads the parent's clock (Deno's `process.hrtime` counts from its start).
pub fn offset(front: &mut dyn Front) -> Result<()> {
  front.ret(Transferable::Number(HRTIME_OFFSET_NS.load(Ordering::Relaxed) as f64))
}

parameters!(set_offset_at: offset);
/// `setHrtimeOffset` (Node only): see `hrtimeOffset`.
pub fn set_offset(front: &mut dyn Front) -> Result<()> {
  HRTIME_OFFSET_NS.store(front.number(set_offset_at::offset)? as i64, Ordering::Relaxed);
  front.ret(Transferable::Undefined)
}

parameters!(hrtime_at: lib);
/// `libHrtime`: the time of the clock `process.hrtime` reads, as `[seconds, nanoseconds]`.
/// The facade computes differences.
pub fn hrtime(front: &mut dyn Front) -> Result<()> {
  if !matches!(*front.handle(hrtime_at::lib)?, Handle::Lib) {
    return Err(Error::illegal_invocation());
  }
  let now = monotonic_ns()? + HRTIME_OFFSET_NS.load(Ordering::Relaxed);
  let (seconds, nanoseconds) = (now.div_euclid(1_000_000_000), now.rem_euclid(1_000_000_000));
  front.ret(Transferable::List(vec![Transferable::Number(seconds as f64), Transferable::Number(nanoseconds as f64)]))
}
