//! Inspector sessions and the CPU profiler.

use crate::api::{parameters, run};
use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::profiler;
use crate::ops::{self, Mode};
use crate::transfer::{CallMode, Transferable};

parameters!(create_session_at: isolate, deliver);
/// `isolateCreateInspectorSession`
pub fn create_session(front: &mut dyn Front) -> Result<()> {
  let core = front.handle(create_session_at::isolate)?.isolate()?.clone();
  let deliver = front.callback(create_session_at::deliver, CallMode::Ignored)?;
  let work = ops::inspector::create_session(&core, deliver)?;
  ops::dispatch(front, Mode::Sync, work)
}

parameters!(dispatch_at: session, message, handled);
/// `sessionDispatch`; `handled`, if a function, is called once the isolate has handled the
/// message (lib/remote/inspector.js: so that the host of an out-of-process isolate waits as long
/// as a caller in one process does).
pub fn dispatch(front: &mut dyn Front) -> Result<()> {
  let message = front.string(dispatch_at::message)?.to_string_lossy();
  let hold = front.hold();
  let hold = if front.is_nullish(dispatch_at::handled) {
    hold
  } else {
    ops::inspector::call_when_dropped(front.callback(dispatch_at::handled, CallMode::Ignored)?, hold)
  };
  front.handle(dispatch_at::session)?.session()?.dispatch(message, hold)?;
  front.ret(Transferable::Undefined)
}

parameters!(session_at: session);
/// `sessionDispose`
pub fn dispose(front: &mut dyn Front) -> Result<()> {
  front.handle(session_at::session)?.session()?.dispose()?;
  front.ret(Transferable::Undefined)
}

/// `sessionCheck`: fails once the session is dead (for its accessors).
pub fn check(front: &mut dyn Front) -> Result<()> {
  front.handle(session_at::session)?.session()?.check_alive()?;
  front.ret(Transferable::Undefined)
}

parameters!(start_cpu_profiler_at: isolate, title);
/// `isolateStartCpuProfiler`
pub fn start_cpu_profiler(front: &mut dyn Front) -> Result<()> {
  let core = front.handle(start_cpu_profiler_at::isolate)?.isolate()?.clone();
  core.check_alive()?;
  let title = front.string(start_cpu_profiler_at::title)?.to_string_lossy();
  let work = profiler::start(&core, title)?;
  ops::dispatch(front, Mode::Sync, work)
}

parameters!(stop_cpu_profiler_at: isolate, mode, title);
/// `isolateStopCpuProfiler`: `[threadId, Profiler.stop response]`, or an empty list for an
/// unknown title.
pub fn stop_cpu_profiler(front: &mut dyn Front) -> Result<()> {
  use stop_cpu_profiler_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let core = front.handle(at::isolate)?.isolate()?.clone();
    let title = front.string(at::title)?.to_string_lossy();
    Ok(profiler::stop(&core, title))
  })
}
