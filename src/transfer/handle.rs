//! The native state behind each isolated-vm object of the JavaScript facade.
//!
//! One `Handle` per JavaScript instance. Instances that were transferred share the data behind
//! them (an `Arc`), so `release()` on one instance does not affect the others.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{msg, Error, Result};
use crate::isolate::IsolateCore;

use super::{CallbackData, ContextData, CopyData, ForwardData, ModuleData, RefData, ScriptData, SessionData, Transferable};

/// The facade classes; the binding tells the facade their numbers (api::protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
  Isolate = 0,
  Context = 1,
  Script = 2,
  Reference = 3,
  Dereference = 4,
  Callback = 5,
  ExternalCopy = 6,
  CopyInto = 7,
  Module = 8,
  Session = 9,
  Lib = 10,
}

impl Kind {
  /// Every class, by the name of its constructor in lib/facade.js.
  pub const ALL: [(&'static str, Kind); 11] = [
    ("Isolate", Kind::Isolate),
    ("Context", Kind::Context),
    ("Script", Kind::Script),
    ("Reference", Kind::Reference),
    ("Dereference", Kind::Dereference),
    ("Callback", Kind::Callback),
    ("ExternalCopy", Kind::ExternalCopy),
    ("ExternalCopyInto", Kind::CopyInto),
    ("Module", Kind::Module),
    ("Session", Kind::Session),
    ("Lib", Kind::Lib),
  ];
}

/// What using a released object of `kind` fails with.
pub fn released_message(kind: Kind) -> &'static str {
  match kind {
    Kind::Context => msg::CONTEXT_RELEASED,
    Kind::Script => msg::SCRIPT_RELEASED,
    Kind::Module => msg::MODULE_RELEASED,
    Kind::ExternalCopy | Kind::CopyInto => msg::COPY_RELEASED,
    _ => msg::REFERENCE_RELEASED,
  }
}

/// Data that `release()` drops. Reading it after release fails with the class's message.
pub struct Releasable<T> {
  data: Mutex<Option<Arc<T>>>,
  released_message: &'static str,
}

impl<T> Releasable<T> {
  pub fn new(data: Arc<T>, released_message: &'static str) -> Releasable<T> {
    Releasable { data: Mutex::new(Some(data)), released_message }
  }

  /// One released already (see `Transferable::Released`).
  pub fn released(released_message: &'static str) -> Releasable<T> {
    Releasable { data: Mutex::new(None), released_message }
  }

  /// What passing it on gives: `transferable` of its data, or a released one of `kind`.
  fn passed_on(&self, kind: Kind, transferable: fn(Arc<T>) -> Transferable) -> Transferable {
    self.data.lock().clone().map_or(Transferable::Released(kind), transferable)
  }

  pub fn get(&self) -> Result<Arc<T>> {
    self.data.lock().clone().ok_or_else(|| Error::generic(self.released_message))
  }

  /// Drops this instance's hold on the data; returns it if it was still held.
  pub fn release(&self) -> Option<Arc<T>> {
    self.data.lock().take()
  }

  /// Like `release`, but releasing twice fails with the class's message.
  pub fn release_held(&self) -> Result<()> {
    self.release().map(drop).ok_or_else(|| Error::generic(self.released_message))
  }
}

pub enum Handle {
  Isolate(Arc<IsolateCore>),
  Context(Releasable<ContextData>),
  Script(Releasable<ScriptData>),
  Module(Releasable<ModuleData>),
  /// An inspector session (not transferable).
  Session(Arc<SessionData>),
  Reference(Releasable<RefData>),
  /// The result of `derefInto()`, usable once.
  Dereference(Releasable<RefData>),
  Callback(Arc<CallbackData>),
  ExternalCopy(Releasable<CopyData>),
  /// The result of `copyInto()`, usable once.
  CopyInto {
    data: Releasable<CopyData>,
    transfer_in: bool,
  },
  /// The module object itself (`ivm`), so that it can be passed into isolates.
  IvmModule,
  /// `ivm.lib` (an instance of class `Lib`), which has no state of its own.
  Lib,
  /// A forwarder for an object of an out-of-process isolate, of class `kind` (see `ForwardData`).
  Forwarded {
    data: Releasable<ForwardData>,
    kind: Kind,
  },
}

impl Handle {
  pub fn kind(&self) -> Option<Kind> {
    Some(match self {
      Handle::Isolate(_) => Kind::Isolate,
      Handle::Context(_) => Kind::Context,
      Handle::Script(_) => Kind::Script,
      Handle::Module(_) => Kind::Module,
      Handle::Session(_) => Kind::Session,
      Handle::Reference(_) => Kind::Reference,
      Handle::Dereference(_) => Kind::Dereference,
      Handle::Callback(_) => Kind::Callback,
      Handle::ExternalCopy(_) => Kind::ExternalCopy,
      Handle::CopyInto { .. } => Kind::CopyInto,
      Handle::Lib => Kind::Lib,
      Handle::Forwarded { kind, .. } => *kind,
      Handle::IvmModule => return None,
    })
  }

  /// A new instance's state for a transferred value that arrives as a facade object.
  pub fn from_transferable(value: &Transferable) -> Option<Handle> {
    Some(match value {
      Transferable::Isolate(core) => Handle::Isolate(core.clone()),
      Transferable::Context(data) => Handle::Context(Releasable::new(data.clone(), msg::CONTEXT_RELEASED)),
      Transferable::Script(data) => Handle::Script(Releasable::new(data.clone(), msg::SCRIPT_RELEASED)),
      Transferable::Module(data) => Handle::Module(Releasable::new(data.clone(), msg::MODULE_RELEASED)),
      Transferable::Session(data) => Handle::Session(data.clone()),
      Transferable::Lib => Handle::Lib,
      Transferable::Released(Kind::Context) => Handle::Context(Releasable::released(msg::CONTEXT_RELEASED)),
      Transferable::Released(Kind::Script) => Handle::Script(Releasable::released(msg::SCRIPT_RELEASED)),
      Transferable::Released(Kind::Module) => Handle::Module(Releasable::released(msg::MODULE_RELEASED)),
      Transferable::Released(Kind::Reference) => Handle::Reference(Releasable::released(msg::REFERENCE_RELEASED)),
      Transferable::Reference(data) => Handle::Reference(Releasable::new(data.clone(), msg::REFERENCE_RELEASED)),
      Transferable::DereferenceHandle(data) => Handle::Dereference(Releasable::new(data.clone(), msg::REFERENCE_RELEASED)),
      Transferable::ExternalCopy(data) => Handle::ExternalCopy(Releasable::new(data.clone(), msg::COPY_RELEASED)),
      Transferable::Forwarded(data) => {
        Handle::Forwarded { data: Releasable::new(data.clone(), released_message(data.kind)), kind: data.kind }
      }
      Transferable::CopyIntoHandle { data, transfer_in } => {
        Handle::CopyInto { data: Releasable::new(data.clone(), msg::COPY_RELEASED), transfer_in: *transfer_in }
      }
      _ => return None,
    })
  }

  /// What this instance becomes when passed to another world.
  pub fn transfer_out(&self) -> Result<Transferable> {
    Ok(match self {
      Handle::Isolate(core) => Transferable::Isolate(core.clone()),
      Handle::Context(data) => data.passed_on(Kind::Context, Transferable::Context),
      Handle::Script(data) => data.passed_on(Kind::Script, Transferable::Script),
      Handle::Module(data) => data.passed_on(Kind::Module, Transferable::Module),
      Handle::Session(_) => return Err(Error::type_error(msg::NON_TRANSFERABLE)),
      Handle::Reference(data) => data.passed_on(Kind::Reference, Transferable::Reference),
      Handle::Dereference(data) => Transferable::Dereference(
        data.release().ok_or_else(|| Error::generic("The return value of `derefInto()` should only be used once"))?,
      ),
      Handle::Callback(data) => Transferable::Callback(data.clone()),
      Handle::ExternalCopy(data) => Transferable::ExternalCopy(data.get()?),
      Handle::CopyInto { data, transfer_in } => Transferable::Copy {
        data: data.release().ok_or_else(|| Error::generic("The return value of `copyInto()` should only be used once"))?,
        transfer_in: *transfer_in,
      },
      Handle::IvmModule => Transferable::IvmModule,
      Handle::Lib => Transferable::Lib,
      Handle::Forwarded { data, kind } => data.passed_on(*kind, Transferable::Forwarded),
    })
  }

  pub fn isolate(&self) -> Result<&Arc<IsolateCore>> {
    match self {
      Handle::Isolate(core) => Ok(core),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn context(&self) -> Result<Arc<ContextData>> {
    match self {
      Handle::Context(data) => data.get(),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn script(&self) -> Result<&Releasable<ScriptData>> {
    match self {
      Handle::Script(data) => Ok(data),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn module(&self) -> Result<Arc<ModuleData>> {
    match self {
      Handle::Module(data) => data.get(),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn session(&self) -> Result<&Arc<SessionData>> {
    match self {
      Handle::Session(data) => Ok(data),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn module_releasable(&self) -> Result<&Releasable<ModuleData>> {
    match self {
      Handle::Module(data) => Ok(data),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn reference(&self) -> Result<&Releasable<RefData>> {
    match self {
      Handle::Reference(data) => Ok(data),
      _ => Err(Error::illegal_invocation()),
    }
  }
  pub fn external_copy(&self) -> Result<&Releasable<CopyData>> {
    match self {
      Handle::ExternalCopy(data) => Ok(data),
      _ => Err(Error::illegal_invocation()),
    }
  }
}
