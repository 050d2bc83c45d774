//! Surviving V8's fatal errors (`onCatastrophicError`).
//!
//! When V8 cannot go on (it ran out of memory in a way the memory limit could not prevent, e.g.
//! one builtin allocating far past the limit without checking for termination), it calls our
//! handler and expects it never to return. For an isolate with `onCatastrophicError`, the handler
//! gives the isolate up (`IsolateCore::abandon`), answers the caller of the task that was
//! running, calls `onCatastrophicError` in Node, and parks its thread for good: the thread and
//! the isolate's memory are lost, the process goes on. That is only possible on a pool thread,
//! so such isolates never run on Node's thread: their synchronous calls go through the pool
//! while Node's thread waits (serving host calls meanwhile). Without `onCatastrophicError`, the
//! process aborts as V8 would have.

use std::ffi::{c_char, CStr};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{msg, Error, Result};
use crate::isolate::core::CatastropheHandler;
use crate::isolate::extensions::Extension;
use crate::isolate::{executor, scheduler, IsolateCore};
use crate::transfer::{CallbackData, TransferOptions, Transferable};

/// The outcome handler of a running task, taken by whoever answers first.
pub type Rescue = Mutex<Option<Box<dyn FnOnce(Result<Transferable>) + Send>>>;

/// The outcome handler of the task running now, for isolates with `onCatastrophicError`: if V8
/// dies under it, the caller still gets an answer. Kept in the isolate (an `Extension`).
#[derive(Default)]
pub struct InFlight(pub Mutex<Option<Arc<Rescue>>>);

impl Extension for InFlight {}

/// What `onCatastrophicError` (the facade's function `callback`) becomes in the isolate.
pub fn handler(callback: Arc<CallbackData>) -> CatastropheHandler {
  Box::new(move |message| {
    let call =
      super::reference::apply(&callback.function, Transferable::Undefined, vec![Transferable::string(&message)], 0, TransferOptions::NONE);
    super::run_async(call, Box::new(|_| {}));
  })
}

/// The message `onCatastrophicError` receives (the original's wording).
const OUT_OF_MEMORY: &str = "Catastrophic out-of-memory error";

/// V8's out-of-memory handler. Never returns.
pub unsafe extern "C" fn out_of_memory(location: *const c_char, _details: &v8::OomDetails) {
  // SAFETY: V8 passes a NUL-terminated string (or null, checked).
  let location = if location.is_null() { "unknown".into() } else { unsafe { CStr::from_ptr(location) }.to_string_lossy() };
  survive(OUT_OF_MEMORY, "out of memory");
  eprintln!("\n#\n# Fatal JavaScript out of memory in an isolate: {location}\n#\n");
  std::process::abort();
}

/// V8's fatal error hook (`V8_Fatal`, failed checks): V8 aborts the process if this returns.
pub unsafe extern "C" fn fatal_error(_file: *const c_char, _line: i32, message: *const c_char) {
  // SAFETY: V8 passes a NUL-terminated string (or null, checked).
  let message = if message.is_null() { "fatal error".into() } else { unsafe { CStr::from_ptr(message) }.to_string_lossy() };
  survive(&format!("Catastrophic error: {message}"), &message);
}

/// Gives up this thread (never returning) if it runs something that can survive V8's death: an
/// isolate with `onCatastrophicError` on a pool thread, or a snapshot being made.
fn survive(catastrophic_message: &str, snapshot_message: &str) {
  super::snapshot::give_up_snapshot_thread(snapshot_message);
  let on_pool_thread = std::thread::current().name() == Some("isolated-vm");
  if let Some(core) = executor::current().filter(|core| core.survives_fatal_errors() && on_pool_thread) {
    give_up(&core, catastrophic_message.to_string());
    scheduler::blocking(|| loop {
      std::thread::park();
    })
  }
}

fn give_up(core: &Arc<IsolateCore>, message: String) {
  if !core.abandon() {
    return;
  }
  let rescue = core.extensions.get::<InFlight>().0.lock().take();
  if let Some(done) = rescue.and_then(|rescue| rescue.lock().take()) {
    done(Err(Error::generic(msg::MEMORY_LIMIT)));
  }
  if let Some(handler) = &core.on_catastrophic_error {
    handler(message);
  }
}
