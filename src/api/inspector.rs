//! Inspector sessions and the CPU profiler.

use crate::api::run;
use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::profiler;
use crate::ops::{self, Mode};
use crate::transfer::{CallMode, Transferable};

/// `isolateCreateInspectorSession(isolate, deliver)`
pub fn create_session(front: &mut dyn Front) -> Result<()> {
  let core = front.handle(0)?.isolate()?.clone();
  let deliver = front.callback(1, CallMode::Ignored)?;
  let work = ops::inspector::create_session(&core, deliver)?;
  ops::dispatch(front, Mode::Sync, work)
}

/// `sessionDispatch(session, message)`
pub fn dispatch(front: &mut dyn Front) -> Result<()> {
  let message = front.string(1)?.to_string_lossy();
  let hold = front.hold();
  front.handle(0)?.session()?.dispatch(message, hold)?;
  front.ret(Transferable::Undefined)
}

/// `sessionDispose(session)`
pub fn dispose(front: &mut dyn Front) -> Result<()> {
  front.handle(0)?.session()?.dispose()?;
  front.ret(Transferable::Undefined)
}

/// `sessionCheck(session)`: fails once the session is dead (for its accessors).
pub fn check(front: &mut dyn Front) -> Result<()> {
  front.handle(0)?.session()?.check_alive()?;
  front.ret(Transferable::Undefined)
}

/// `isolateStartCpuProfiler(isolate, title)`
pub fn start_cpu_profiler(front: &mut dyn Front) -> Result<()> {
  let core = front.handle(0)?.isolate()?.clone();
  core.check_alive()?;
  let title = front.string(1)?.to_string_lossy();
  let work = profiler::start(&core, title)?;
  ops::dispatch(front, Mode::Sync, work)
}

/// `isolateStopCpuProfiler(isolate, mode, title)`: `[threadId, Profiler.stop response]`, or an
/// empty list for an unknown title.
pub fn stop_cpu_profiler(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let core = front.handle(0)?.isolate()?.clone();
    let title = front.string(2)?.to_string_lossy();
    Ok(profiler::stop(&core, title))
  })
}
