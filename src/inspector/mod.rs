//! The V8 inspector of an isolate: DevTools protocol sessions, pausing in the debugger, and the
//! CPU profiler (see `profiler`), which drives the inspector's `Profiler` domain.
//!
//! The inspector lives on the isolate's side and is only touched with the isolate locked.
//! Messages for it come from any thread through `Shared::inbox`; they are handled by a task on
//! the isolate's queue when it is idle, by an interrupt when it runs JavaScript, and by the
//! pause loop while the debugger holds it paused. What the inspector sends back goes to the
//! session's owner: a function of the API (`Sink::Deliver`) or a Rust channel (`Sink::Internal`).

pub mod profiler;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use v8::inspector::{ChannelImpl, StringBuffer, StringView, V8Inspector, V8InspectorClient, V8InspectorClientImpl, V8InspectorSession};
use v8::UniquePtr;

use crate::isolate::extensions::Extension;
use crate::isolate::scheduler::TaskInput;
use crate::isolate::{scheduler, IsolateCore};

/// The context group of every context of an isolate.
const GROUP: i32 = 1;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

pub enum Message {
  /// `hold` keeps the sender's event loop alive until the message is handled (the answers it
  /// produces are queued to the sender before that).
  Dispatch {
    session: u64,
    text: String,
    hold: Box<dyn Send>,
  },
  Close {
    session: u64,
  },
}

/// The thread-safe side of an isolate's inspector.
pub struct Shared {
  inbox: (crossbeam_channel::Sender<Message>, crossbeam_channel::Receiver<Message>),
  /// Set when the isolate is disposed: a pause loop must end.
  closed: AtomicBool,
  /// Set by the debugger to end the current pause.
  resume: AtomicBool,
}

impl Default for Shared {
  fn default() -> Shared {
    Shared { inbox: crossbeam_channel::unbounded(), closed: AtomicBool::new(false), resume: AtomicBool::new(false) }
  }
}

impl Shared {
  pub fn close(&self) {
    self.closed.store(true, Ordering::SeqCst);
  }
}

/// Where a session's responses and notifications go.
pub enum Sink {
  /// A session of the API: called with the call id of a response (none for a notification) and
  /// the message (ops::inspector passes them on to the facade's delivery function).
  Deliver(Box<dyn Fn(Option<i32>, String)>),
  /// A Rust consumer (the profiler): `(callId, message)`, call id -1 for notifications.
  Internal(crossbeam_channel::Sender<(i32, String)>),
}

struct SessionChannel {
  sink: Sink,
}

fn text(message: &UniquePtr<StringBuffer>) -> String {
  message.as_ref().map(|buffer| buffer.string().to_string()).unwrap_or_default()
}

impl ChannelImpl for SessionChannel {
  fn send_response(&self, call_id: i32, message: UniquePtr<StringBuffer>) {
    self.deliver(Some(call_id), text(&message));
  }
  fn send_notification(&self, message: UniquePtr<StringBuffer>) {
    self.deliver(None, text(&message));
  }
  fn flush_protocol_notifications(&self) {}
}

impl SessionChannel {
  fn deliver(&self, call_id: Option<i32>, message: String) {
    match &self.sink {
      Sink::Deliver(deliver) => deliver(call_id, message),
      Sink::Internal(sender) => {
        let _ = sender.send((call_id.unwrap_or(-1), message));
      }
    }
  }
}

/// The inspector and its sessions, on the isolate's side.
pub struct State {
  // Sessions go before the inspector they belong to (fields drop in order).
  sessions: RefCell<HashMap<u64, Rc<V8InspectorSession>>>,
  inspector: OnceCell<V8Inspector>,
  shared: Arc<Shared>,
  /// Messages being handled right now (an interrupt must not nest into one).
  handling: Cell<u32>,
  pub(crate) profiles: RefCell<HashMap<String, profiler::Profile>>,
  /// Where `Runtime.evaluate` runs without a context id: the latest inspectable context.
  default_context: RefCell<Option<v8::Global<v8::Context>>>,
}

/// What the isolate keeps of its inspector (an `Extension`): the state, once something needs
/// it (sessions, the profiler, inspectable contexts), and the inbox of messages for its sessions.
#[derive(Default)]
struct Slot {
  cell: Mutex<Option<InspectorCell>>,
  shared: Arc<Shared>,
}

impl Extension for Slot {
  /// Sessions stop taking messages.
  fn disposed(&self) {
    self.shared.close();
  }

  /// The inspector goes before the V8 isolate, which it uses.
  fn take_before_teardown(&self) -> Option<Box<dyn Send>> {
    self.cell.lock().take().map(|cell| Box::new(cell) as Box<dyn Send>)
  }
}

/// The inspector state as the isolate keeps it. Only used with the isolate locked, which
/// serializes the threads that touch it.
pub struct InspectorCell(Rc<State>);
// SAFETY: the `Rc`, its clones and what they reach are only used with the isolate locked,
// which serializes the threads that touch them; the cell itself is dropped under that lock
// (`registry::Reaped`).
unsafe impl Send for InspectorCell {}

struct Client {
  state: Weak<State>,
  shared: Arc<Shared>,
}

impl V8InspectorClientImpl for Client {
  /// Paused in the debugger: handle messages until told to resume (or the isolate goes).
  fn run_message_loop_on_pause(&self, _group: i32) {
    let Some(state) = self.state.upgrade() else { return };
    self.shared.resume.store(false, Ordering::SeqCst);
    scheduler::blocking(|| {
      while !self.shared.resume.load(Ordering::SeqCst) && !self.shared.closed.load(Ordering::SeqCst) {
        match self.shared.inbox.1.recv_timeout(Duration::from_millis(20)) {
          Ok(message) => state.handle(message),
          Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
          Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
      }
    });
  }

  fn quit_message_loop_on_pause(&self) {
    self.shared.resume.store(true, Ordering::SeqCst);
  }

  fn ensure_default_context_in_group(&self, _group: i32) -> Option<v8::Local<'_, v8::Context>> {
    let state = self.state.upgrade()?;
    let context = state.default_context.borrow();
    // SAFETY: V8 asks with the isolate locked on this thread. A Local is a pointer to a handle
    // slot, and the Global's slot stays valid while the inspector state (which outlives this
    // call: the isolate core holds it) keeps the Global.
    let context: &v8::Context = unsafe { v8::Handle::get_unchecked(context.as_ref()?) };
    // SAFETY: as above; `&Context` and `Local<Context>` are both the handle slot's address.
    Some(unsafe { std::mem::transmute::<&v8::Context, v8::Local<'_, v8::Context>>(context) })
  }
}

impl State {
  fn inspector(&self) -> &V8Inspector {
    self.inspector.get().expect("created with the state")
  }

  fn handle(&self, message: Message) {
    self.handling.set(self.handling.get() + 1);
    match message {
      Message::Dispatch { session, text, hold } => {
        // Answers are queued to the sender before the hold goes.
        let _hold = hold;
        let session = self.sessions.borrow().get(&session).cloned();
        if let Some(session) = session {
          if text.is_ascii() {
            session.dispatch_protocol_message(StringView::from(text.as_bytes()));
          } else {
            let units: Vec<u16> = text.encode_utf16().collect();
            session.dispatch_protocol_message(StringView::from(&units[..]));
          }
        }
      }
      Message::Close { session } => {
        let closed = self.sessions.borrow_mut().remove(&session);
        drop(closed);
      }
    }
    self.handling.set(self.handling.get() - 1);
  }

  /// Handles every message waiting.
  pub fn drain(&self) {
    while let Ok(message) = self.shared.inbox.1.try_recv() {
      self.handle(message);
    }
  }

  /// A new session, whose output goes to `sink`; returns its id.
  pub fn connect(&self, sink: Sink) -> u64 {
    let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    let channel = v8::inspector::Channel::new(Box::new(SessionChannel { sink }));
    let session = self.inspector().connect(GROUP, channel, StringView::empty(), v8::inspector::V8InspectorClientTrustLevel::FullyTrusted);
    self.sessions.borrow_mut().insert(id, Rc::new(session));
    id
  }

  /// Handles one message for a session now (the session must exist).
  pub fn dispatch_now(&self, session: u64, text: &str) {
    self.handle(Message::Dispatch { session, text: text.to_string(), hold: Box::new(()) });
  }

  pub fn close_now(&self, session: u64) {
    self.handle(Message::Close { session });
  }

  /// Makes a context visible to the debugger.
  pub fn context_created(&self, isolate: &v8::Isolate, context: v8::Local<v8::Context>) {
    self.inspector().context_created(context, GROUP, StringView::from(&b"isolated-vm"[..]), StringView::empty());
    *self.default_context.borrow_mut() = Some(v8::Global::new(isolate, context));
  }

  /// Reports an exception that ended a call (`Runtime.exceptionThrown`).
  pub fn exception_thrown(
    &self,
    scope: &mut v8::PinScope<'_, '_>,
    exception: v8::Local<v8::Value>,
    message: Option<v8::Local<v8::Message>>,
  ) {
    let context = scope.get_current_context();
    let detail = message.map(|m| m.get(scope).to_rust_string_lossy(scope)).unwrap_or_default();
    let url = message
      .and_then(|m| m.get_script_resource_name(scope))
      .filter(|name| name.is_string())
      .map(|name| name.to_rust_string_lossy(scope))
      .unwrap_or_default();
    let line = message.and_then(|m| m.get_line_number(scope)).unwrap_or(0) as u32;
    let column = message.map(|m| m.get_start_column() + 1).unwrap_or(0) as u32;
    let stack = self.inspector().create_stack_trace(message.and_then(|m| m.get_stack_trace(scope)));
    let detail16: Vec<u16> = detail.encode_utf16().collect();
    let url16: Vec<u16> = url.encode_utf16().collect();
    self.inspector().exception_thrown(
      context,
      StringView::from(&b"Uncaught"[..]),
      exception,
      StringView::from(&detail16[..]),
      StringView::from(&url16[..]),
      line,
      column,
      stack,
      0,
    );
  }
}

/// The isolate's inspector state, created the first time it is needed. The isolate must be
/// locked on this thread.
pub fn state(core: &IsolateCore, isolate: &mut v8::Isolate) -> Rc<State> {
  let slot = core.extensions.get::<Slot>();
  let mut cell = slot.cell.lock();
  if let Some(InspectorCell(state)) = &*cell {
    return state.clone();
  }
  let shared = slot.shared.clone();
  let state = Rc::new(State {
    sessions: RefCell::new(HashMap::new()),
    inspector: OnceCell::new(),
    shared: shared.clone(),
    handling: Cell::new(0),
    profiles: RefCell::new(HashMap::new()),
    default_context: RefCell::new(None),
  });
  let client = V8InspectorClient::new(Box::new(Client { state: Rc::downgrade(&state), shared }));
  let _ = state.inspector.set(V8Inspector::create(isolate, client));
  *cell = Some(InspectorCell(state.clone()));
  state
}

/// The isolate's inspector state if it exists. The isolate must be locked on this thread.
pub fn existing(core: &IsolateCore) -> Option<Rc<State>> {
  let slot = core.extensions.existing::<Slot>()?;
  let cell = slot.cell.lock();
  cell.as_ref().map(|InspectorCell(state)| state.clone())
}

/// Queues a message for a session of the isolate and gets it handled soon: by a task if the
/// isolate is idle, by an interrupt if it is running JavaScript, or by the pause loop.
pub fn send(core: &Arc<IsolateCore>, message: Message) {
  let _ = core.extensions.get::<Slot>().shared.inbox.0.send(message);
  let data = Box::into_raw(Box::new(Arc::downgrade(core)));
  if !core.handle.request_interrupt(on_interrupt, data.cast()) {
    // SAFETY: the interrupt was not queued, so `on_interrupt` will not take the box back.
    drop(unsafe { Box::from_raw(data) });
  }
  core.post(Box::new(|input| {
    if let TaskInput::Run(_) = input {
      if let Some(core) = crate::isolate::executor::current() {
        if let Some(state) = existing(&core) {
          state.drain();
        }
      }
    }
  }));
}

unsafe extern "C" fn on_interrupt(_isolate: v8::UnsafeRawIsolatePtr, data: *mut std::ffi::c_void) {
  // SAFETY: `send` leaked this box for the interrupt, which V8 runs once.
  let core = unsafe { Box::from_raw(data.cast::<std::sync::Weak<IsolateCore>>()) };
  let _ = crate::error::catch_panic(|| {
    if let Some(state) = core.upgrade().and_then(|core| existing(&core)) {
      // Not in the middle of handling a message: V8 does not expect that nesting.
      if state.handling.get() == 0 {
        state.drain();
      }
    }
    Ok(())
  });
}
