//! Which isolate this thread is running, and entering/leaving isolates.
//!
//! Each thread keeps a stack of the isolates it has entered. Only the top one is locked: the v8
//! crate refuses to lock an isolate while another one is entered on the same thread, so entering
//! a second isolate (a Node host function calling `otherIsolate.evalSync()` from inside a sync
//! call) releases the one below it with `Locker::unlock` for the duration. The isolate below
//! stays logically ours: its JavaScript is suspended in a native call on this very stack.
//!
//! Scopes are built from a raw isolate pointer rather than from the `Locker`, so the `Locker`
//! itself is never borrowed and can be unlocked from deeper frames.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::core::IsolateCore;
use crate::error::{msg, Error, Result};

struct Frame {
  core: Arc<IsolateCore>,
  raw: v8::UnsafeRawIsolatePtr,
  /// The `Locker` of this frame, boxed so its address is stable. Owned by the frame.
  locker: *mut v8::Locker<'static>,
  /// Keeps the `SharedIsolate` alive for as long as `locker` borrows it.
  _shared: Arc<v8::SharedIsolate>,
  locked: bool,
}

thread_local! {
  static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// The isolate this thread is currently running JavaScript in, if any.
pub fn current() -> Option<Arc<IsolateCore>> {
  FRAMES.with(|frames| frames.borrow().last().filter(|f| f.locked).map(|f| f.core.clone()))
}

/// True if this thread has entered any isolate (even one it unlocked meanwhile).
pub fn in_any_isolate() -> bool {
  FRAMES.with(|frames| !frames.borrow().is_empty())
}

/// The isolate this thread is running, for code that only runs inside one.
pub fn entered() -> Result<Arc<IsolateCore>> {
  current().ok_or_else(|| Error::generic("isolated-vm: no isolate is entered"))
}

/// True if `core` is entered and locked on this thread right now.
pub fn is_current(core: &IsolateCore) -> bool {
  FRAMES.with(|frames| frames.borrow().last().is_some_and(|f| f.locked && f.core.id == core.id))
}

/// Runs `f` with `core` locked and entered on this thread.
///
/// Re-entrant: if `core` is already the current isolate, `f` runs right away on it. Otherwise
/// the current isolate (if any) is unlocked while `core` is used.
pub fn with_isolate<R>(core: &Arc<IsolateCore>, f: impl FnOnce(&mut v8::Isolate) -> R) -> Result<R> {
  let top = FRAMES.with(|frames| frames.borrow().last().filter(|f| f.locked && f.core.id == core.id).map(|f| f.raw));
  if let Some(raw) = top {
    // SAFETY: the top frame holds this isolate's lock on this thread (and keeps it alive) for
    // longer than this call.
    let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(raw) };
    // Re-entered from a host call of this isolate (whose time is not the isolate's): this run is.
    return Ok(core.clock.resume_cpu(|| f(&mut isolate)));
  }
  let shared = core.shared().ok_or_else(|| Error::generic(msg::ISOLATE_DISPOSED))?;
  Ok(suspend_current(|| enter(core, shared, f)))
}

fn enter<R>(core: &Arc<IsolateCore>, shared: Arc<v8::SharedIsolate>, f: impl FnOnce(&mut v8::Isolate) -> R) -> R {
  core.sync_waiters.fetch_add(1, Ordering::SeqCst);
  let locker = shared.lock();
  core.sync_waiters.fetch_sub(1, Ordering::SeqCst);
  // SAFETY: only reads the pointer, used while the locker holds the isolate (see `Frame`).
  let raw = unsafe { locker.as_raw_isolate_ptr() };
  // SAFETY: the locker borrows `shared`, which the frame keeps alive until the locker is dropped
  // (see `Exit`), so extending the borrow to 'static never outlives the isolate.
  let locker: v8::Locker<'static> = unsafe { std::mem::transmute(locker) };
  let locker = Box::into_raw(Box::new(locker));
  FRAMES.with(|frames| frames.borrow_mut().push(Frame { core: core.clone(), raw, locker, _shared: shared, locked: true }));
  core.clock.start();
  let _exit = Exit;
  // SAFETY: the locker just taken holds the isolate on this thread until `_exit` pops the frame,
  // after `f` is done with it.
  let mut isolate = unsafe { v8::Isolate::from_raw_isolate_ptr(raw) };
  f(&mut isolate)
}

/// Pops the top frame and unlocks its isolate, also when unwinding.
struct Exit;

impl Drop for Exit {
  fn drop(&mut self) {
    let frame = FRAMES.with(|frames| frames.borrow_mut().pop());
    if let Some(frame) = frame {
      frame.core.clock.stop();
      if frame.core.foreground_tasks_due() {
        // SAFETY: the frame's locker, dropped just below, still holds the isolate.
        crate::platform::pump_foreground_tasks(unsafe { &v8::Isolate::from_raw_isolate_ptr(frame.raw) });
      }
      // SAFETY: `enter` boxed the locker for this frame, which owned it and is popped now.
      drop(unsafe { Box::from_raw(frame.locker) });
      drop(frame);
    }
  }
}

/// Runs `f` with the current isolate (if any) unlocked, so that other threads, or this thread
/// entering another isolate, can use it meanwhile. Used around anything that blocks.
pub fn suspend_current<R>(f: impl FnOnce() -> R) -> R {
  let locker = FRAMES.with(|frames| {
    let mut frames = frames.borrow_mut();
    match frames.last_mut() {
      Some(frame) if frame.locked => {
        frame.core.clock.stop();
        frame.locked = false;
        Some(frame.locker)
      }
      _ => None,
    }
  });
  match locker {
    None => f(),
    Some(locker) => {
      let _resume = Resume;
      // SAFETY: the locker is owned by the top frame, which outlives this call, and nothing
      // borrows it (scopes are built from the raw isolate pointer).
      unsafe { (*locker).unlock(f) }
    }
  }
}

/// Marks the top frame locked again once `Locker::unlock` has relocked it.
struct Resume;

impl Drop for Resume {
  fn drop(&mut self) {
    FRAMES.with(|frames| {
      if let Some(frame) = frames.borrow_mut().last_mut() {
        frame.locked = true;
        frame.core.clock.start();
      }
    });
  }
}
