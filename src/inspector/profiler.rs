//! The CPU profiler, through the inspector's `Profiler` domain (the v8 crate has no CPU profiler
//! API); ops::profiler runs it for `startCpuProfiler` / `stopCpuProfiler`.
//!
//! Each title gets an internal session that started `Profiler.start`. V8's sampler signals the
//! thread that started it, so while any profile runs the isolate is pinned to one thread of its
//! own (scheduler::pin), which is the `threadId` of the result.

use std::sync::Arc;

use super::{Sink, State};
use crate::error::{Error, Result};
use crate::isolate::{scheduler, IsolateCore};

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

/// Starts a profile named `title` on the isolate's inspector (no effect if one with that title
/// runs already).
pub fn start(state: &State, title: String) -> Result<()> {
  if state.profiles.borrow().contains_key(&title) {
    return Ok(());
  }
  let (sender, responses) = crossbeam_channel::unbounded();
  let profile = Profile { session: state.connect(Sink::Internal(sender)), responses };
  command(state, &profile, 1, "Profiler.enable")?;
  command(state, &profile, 2, "Profiler.start")?;
  state.profiles.borrow_mut().insert(title, profile);
  Ok(())
}

/// Stops the profile named `title`: the response of `Profiler.stop`, which holds the
/// `.cpuprofile` (none for an unknown title). Unpins the isolate after its last profile.
pub fn stop(state: &State, core: &Arc<IsolateCore>, title: &str) -> Option<Result<String>> {
  let profile = state.profiles.borrow_mut().remove(title)?;
  let stopped = command(state, &profile, 3, "Profiler.stop");
  state.close_now(profile.session);
  if state.profiles.borrow().is_empty() {
    scheduler::unpin(core);
  }
  Some(stopped)
}
