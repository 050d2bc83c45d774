//! Inspector sessions (`isolate.createInspectorSession()`) and the CPU profiler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::Work;
use crate::error::{Error, Result};
use crate::inspector::{self, Message, Sink};
use crate::isolate::{executor, IsolateCore};
use crate::transfer::{CallbackData, SessionData, TransferOptions, Transferable};

const SESSION_DEAD: &str = "Session is dead";

/// `createInspectorSession()`: output goes to `deliver`, the facade's function calling the
/// session's `onResponse` / `onNotification`.
pub fn create_session(core: &Arc<IsolateCore>, deliver: Arc<CallbackData>) -> Result<Work> {
  if executor::is_current(core) {
    return Err(Error::generic("An isolate is not debuggable from within itself"));
  }
  if core.is_disposed() {
    // Sic: isolated-vm's wording.
    return Err(Error::generic("Isolate is diposed"));
  }
  if !core.inspector_enabled {
    return Err(Error::generic("Inspector is not enabled for this isolate"));
  }
  Ok(Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      let core = executor::entered()?;
      let id = inspector::state(&core, isolate).connect(Sink::Deliver(Box::new(move |call_id, message| {
        // The facade's delivery function: `(isResponse, callId, message)`.
        let arguments =
          vec![Transferable::Bool(call_id.is_some()), Transferable::Number(call_id.unwrap_or(0) as f64), Transferable::string(&message)];
        let call = super::reference::apply(&deliver.function, Transferable::Undefined, arguments, 0, TransferOptions::NONE);
        super::run_async(call, Box::new(|_| {}));
      })));
      Ok(Transferable::Session(Arc::new(SessionData { core, id, dead: AtomicBool::new(false) })))
    }),
  ))
}

/// Calls `callback` (a function of the caller's world, without arguments) once dropped, before
/// `hold` goes: the message it travels with was handled (or dropped, with its isolate).
struct CallWhenDropped {
  callback: Arc<CallbackData>,
  _hold: Box<dyn Send>,
}

impl Drop for CallWhenDropped {
  fn drop(&mut self) {
    let call = super::reference::apply(&self.callback.function, Transferable::Undefined, Vec::new(), 0, TransferOptions::NONE);
    super::run_async(call, Box::new(|_| {}));
  }
}

pub fn call_when_dropped(callback: Arc<CallbackData>, hold: Box<dyn Send>) -> Box<dyn Send> {
  Box::new(CallWhenDropped { callback, _hold: hold })
}

impl SessionData {
  /// Fails once the session is disposed or its isolate is.
  pub fn check_alive(&self) -> Result<()> {
    if self.dead.load(Ordering::SeqCst) || self.core.is_disposed() {
      Err(Error::generic(SESSION_DEAD))
    } else {
      Ok(())
    }
  }

  /// `dispatchProtocolMessage(message)`: handled on the isolate's side soon after; `hold` keeps
  /// the caller's world alive until then.
  pub fn dispatch(&self, text: String, hold: Box<dyn Send>) -> Result<()> {
    self.check_alive()?;
    inspector::send(&self.core, Message::Dispatch { session: self.id, text, hold });
    Ok(())
  }

  /// `dispose()`
  pub fn dispose(&self) -> Result<()> {
    self.check_alive()?;
    self.dead.store(true, Ordering::SeqCst);
    inspector::send(&self.core, Message::Close { session: self.id });
    Ok(())
  }
}
