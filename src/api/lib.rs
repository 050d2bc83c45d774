//! `ivm.lib`, isolated-vm's utilities object (class `Lib`).

use crate::api::front::Front;
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::transfer::Transferable;

/// `libNew(instance)`: makes the facade's `ivm.lib` a Lib, so that it can be passed on.
pub fn new(front: &mut dyn Front) -> Result<()> {
  front.bind(0, Handle::Lib)
}

/// `libHrtime(lib)`: the time of the clock `process.hrtime` reads (libuv's `uv_hrtime`, the
/// monotonic clock), as `[seconds, nanoseconds]`. The facade computes differences.
pub fn hrtime(front: &mut dyn Front) -> Result<()> {
  if !matches!(*front.handle(0)?, Handle::Lib) {
    return Err(crate::handle::illegal());
  }
  let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
  if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
    return Err(Error::generic("The monotonic clock is not available"));
  }
  front.ret(Transferable::List(vec![Transferable::Number(now.tv_sec as f64), Transferable::Number(now.tv_nsec as f64)]))
}
