//! `startCpuProfiler` / `stopCpuProfiler`, through the inspector's `Profiler` domain (the v8
//! crate has no CPU profiler API).
//!
//! Each title gets an internal session that started `Profiler.start`. V8's sampler signals the
//! thread that started it, so while any profile runs the isolate is pinned to one thread of its
//! own (scheduler::pin), which is the `threadId` of the result.

use std::sync::Arc;

use super::{Sink, State};
use crate::error::{Error, Result};
use crate::isolate::{scheduler, IsolateCore};
use crate::ops::Work;
use crate::transfer::Transferable;

/// A running profile: its session and where the session's responses arrive.
pub struct Profile {
  session: u64,
  responses: crossbeam_channel::Receiver<(i32, String)>,
}

/// Sends a command on an internal session and returns its response (handled synchronously).
fn command(state: &State, profile: &Profile, id: i32, method: &str) -> Result<String> {
  state.dispatch_now(profile.session, &format!(r#"{{"id":{id},"method":"{method}"}}"#));
  while let Ok((call_id, message)) = profile.responses.try_recv() {
    if call_id == id {
      return Ok(message);
    }
  }
  Err(Error::generic(format!("The inspector did not answer {method}")))
}

/// Starts a profile named `title` (no effect if one with that title runs already).
pub fn start(core: &Arc<IsolateCore>, title: String) -> Result<Work> {
  scheduler::pin(core).map_err(|error| Error::generic(format!("Could not start a profiler thread: {error}")))?;
  Ok(Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      let core = crate::isolate::executor::entered()?;
      let state = super::state(&core, isolate);
      if state.profiles.borrow().contains_key(&title) {
        return Ok(Transferable::Undefined);
      }
      let (sender, responses) = crossbeam_channel::unbounded();
      let profile = Profile { session: state.connect(Sink::Internal(sender)), responses };
      command(&state, &profile, 1, "Profiler.enable")?;
      command(&state, &profile, 2, "Profiler.start")?;
      state.profiles.borrow_mut().insert(title, profile);
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
      let core = crate::isolate::executor::entered()?;
      let state = super::state(&core, isolate);
      let Some(profile) = state.profiles.borrow_mut().remove(&title) else {
        return Ok(Transferable::List(Vec::new()));
      };
      let stopped = command(&state, &profile, 3, "Profiler.stop");
      state.close_now(profile.session);
      if state.profiles.borrow().is_empty() {
        scheduler::unpin(&core);
      }
      Ok(Transferable::List(vec![Transferable::Number(thread as f64), Transferable::string(&stopped?)]))
    }),
  )
}
