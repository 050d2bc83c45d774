//! `startCpuProfiler` / `stopCpuProfiler` (see inspector::profiler).
//!
//! V8's sampler signals the thread that started it, so while any profile runs the isolate is
//! pinned to one thread of its own (scheduler::pin), which is the `threadId` of the result.

use std::sync::Arc;

use super::Work;
use crate::error::{Error, Result};
use crate::inspector::{self, profiler};
use crate::isolate::{executor, scheduler, IsolateCore};
use crate::transfer::Transferable;

/// Starts a profile named `title` (no effect if one with that title runs already).
pub fn start(core: &Arc<IsolateCore>, title: String) -> Result<Work> {
  scheduler::pin(core).map_err(|error| Error::generic(format!("Could not start a profiler thread: {error}")))?;
  Ok(Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      let core = executor::entered()?;
      profiler::start(&inspector::state(&core, isolate), title)?;
      Ok(Transferable::Undefined)
    }),
  ))
}

/// Stops the profile named `title`: `[threadId, response]` where the response of
/// `Profiler.stop` holds the `.cpuprofile` (an empty list for an unknown title).
pub fn stop(core: &Arc<IsolateCore>, title: String) -> Work {
  let thread = core.pinned.lock().as_ref().map_or(0, |pinned| pinned.os_id);
  Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      let core = executor::entered()?;
      match profiler::stop(&inspector::state(&core, isolate), &core, &title) {
        None => Ok(Transferable::List(Vec::new())),
        Some(stopped) => Ok(Transferable::List(vec![Transferable::Number(thread as f64), Transferable::string(&stopped?)])),
      }
    }),
  )
}
