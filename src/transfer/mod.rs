//! Everything that crosses a boundary between Node and our isolates, or between isolates.
//!
//! A value leaves its world as a `Transferable` (plain Rust data, `Send`) and is rebuilt in the
//! receiving world. Primitives are copied; isolated-vm objects travel as the shared data behind
//! them and arrive as new instances of the same class.

pub mod buffer;
pub mod copy;
pub mod data;
pub mod external_string;
pub mod facade;
pub mod handle;
pub mod options;
pub mod promise;
pub mod serializer;
pub mod settle;
pub mod v8conv;

use std::sync::Arc;

pub use crate::isolate::Remote;
pub use crate::value::{Primitive, Str};
pub use copy::CopyData;
pub use data::{
  CallMode, CallbackData, ContextData, ForwardData, ModuleData, ModuleState, RefData, RefTarget, ScriptData, SessionData, TypeOf,
};
pub use options::{TransferOptions, TransferType};

use crate::isolate::IsolateCore;

#[derive(Clone, Debug)]
pub enum Transferable {
  Undefined,
  Null,
  Bool(bool),
  Number(f64),
  BigInt {
    negative: bool,
    words: Vec<u64>,
  },
  String(Str),
  /// An `Isolate` handle.
  Isolate(Arc<IsolateCore>),
  Context(Arc<ContextData>),
  Script(Arc<ScriptData>),
  Module(Arc<ModuleData>),
  /// An inspector session, handed to the world that created it.
  Session(Arc<SessionData>),
  /// A Context, Script, Module or Reference released by its holder: becomes a released object
  /// of its class, as isolated-vm passes them on (using it fails with the class's message).
  Released(handle::Kind),
  Reference(Arc<RefData>),
  /// The object `derefInto()` returns (a `Dereference` instance in the caller's world).
  DereferenceHandle(Arc<RefData>),
  /// A `Dereference` passed on: becomes the referenced value itself in its own world.
  Dereference(Arc<RefData>),
  /// A function of another world: becomes a plain function that calls it.
  Callback(Arc<CallbackData>),
  /// A copied value: becomes the value itself (`copy: true`, or a `copyInto()` object passed
  /// on). With `transfer_in`, its buffers are moved rather than copied.
  Copy {
    data: Arc<CopyData>,
    transfer_in: bool,
  },
  /// An object of an out-of-process isolate: a forwarder in our isolates, itself in Node.
  Forwarded(Arc<ForwardData>),
  /// An `ExternalCopy` instance.
  ExternalCopy(Arc<CopyData>),
  /// The object `copyInto()` returns.
  CopyIntoHandle {
    data: Arc<CopyData>,
    transfer_in: bool,
  },
  /// The isolated-vm module itself.
  IvmModule,
  /// `ivm.lib`: becomes a `Lib` instance of the receiving world.
  Lib,
  /// A promise (the `promise` transfer option): becomes a new promise of the receiving world.
  Promise(Arc<promise::PromiseState>),
  /// A plain object with these properties (results such as heap statistics).
  Record(Vec<(&'static str, Transferable)>),
  /// An array (results such as `dependencySpecifiers`).
  List(Vec<Transferable>),
  /// An object given extra properties (compiled code with its `cachedData` results).
  Extended(Box<Transferable>, Vec<(&'static str, Transferable)>),
}

impl From<Primitive> for Transferable {
  fn from(primitive: Primitive) -> Transferable {
    match primitive {
      Primitive::Undefined => Transferable::Undefined,
      Primitive::Null => Transferable::Null,
      Primitive::Bool(b) => Transferable::Bool(b),
      Primitive::Number(n) => Transferable::Number(n),
      Primitive::BigInt { negative, words } => Transferable::BigInt { negative, words },
      Primitive::String(s) => Transferable::String(s),
    }
  }
}

impl Transferable {
  pub fn string(s: &str) -> Transferable {
    if s.is_ascii() {
      Transferable::String(Str::Latin1(s.as_bytes().to_vec()))
    } else {
      Transferable::String(Str::Utf16(s.encode_utf16().collect()))
    }
  }
}
