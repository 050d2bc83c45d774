//! The shared data behind isolated-vm objects. Several JavaScript instances (in several
//! worlds) may point at the same data; `release()` only drops one instance's hold on it.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use parking_lot::Mutex;

use super::Remote;
use crate::host::NodeRef;
use crate::isolate::IsolateCore;

/// `reference.typeof`: note that null is "null" and symbols are "object".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeOf {
  Null,
  Undefined,
  Number,
  String,
  Boolean,
  Object,
  Function,
}

impl TypeOf {
  pub fn as_str(self) -> &'static str {
    match self {
      TypeOf::Null => "null",
      TypeOf::Undefined => "undefined",
      TypeOf::Number => "number",
      TypeOf::String => "string",
      TypeOf::Boolean => "boolean",
      TypeOf::Object => "object",
      TypeOf::Function => "function",
    }
  }

  pub fn of(value: v8::Local<v8::Value>) -> TypeOf {
    if value.is_null() {
      TypeOf::Null
    } else if value.is_undefined() {
      TypeOf::Undefined
    } else if value.is_number() {
      TypeOf::Number
    } else if value.is_string() {
      TypeOf::String
    } else if value.is_boolean() {
      TypeOf::Boolean
    } else if value.is_function() {
      TypeOf::Function
    } else {
      TypeOf::Object
    }
  }
}

/// Where a referenced value lives.
#[derive(Debug)]
pub enum RefTarget {
  /// A value in one of our isolates, with the context it was referenced from.
  Isolate { value: Arc<Remote<v8::Value>>, context: Arc<Remote<v8::Context>> },
  /// A value of a Node environment.
  Node(Arc<NodeRef>),
}

#[derive(Debug)]
pub struct RefData {
  pub target: RefTarget,
  pub type_of: TypeOf,
  /// `unsafeInherit`: the `get` family follows the prototype chain.
  pub inherit: bool,
  /// Created by `get` with `accessors`: getters and proxies may run.
  pub accessors: bool,
}

/// An object of an out-of-process isolate (lib/remote/) given to one of our isolates, where it is
/// a forwarder (lib/facade/forward.js): Node's object standing for it, which the forwarder becomes
/// again where it crosses back to Node, and Node's dispatcher, which runs the object's methods for
/// the forwarder (lib/remote/forward.js).
#[derive(Debug)]
pub struct ForwardData {
  pub kind: super::handle::Kind,
  pub target: Arc<RefData>,
  pub dispatch: Arc<RefData>,
  /// The object's own properties (compiled code's `cachedData` results), which the forwarder gets.
  pub fields: Vec<(&'static str, super::Transferable)>,
}

#[derive(Debug)]
pub struct ContextData {
  pub context: Arc<Remote<v8::Context>>,
  /// The `global` Reference.
  pub global: Arc<RefData>,
}

#[derive(Debug)]
pub struct ScriptData {
  pub script: Arc<Remote<v8::UnboundScript>>,
}

/// How a Callback's function is invoked from the world that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallMode {
  Sync = 0,
  Async = 1,
  Ignored = 2,
}

impl CallMode {
  /// The modes by the names `binding.protocol()` gives the facade.
  pub const ALL: [(&'static str, CallMode); 3] = [("SYNC", CallMode::Sync), ("ASYNC", CallMode::Async), ("IGNORED", CallMode::Ignored)];

  pub fn from_number(n: f64) -> CallMode {
    CallMode::ALL.iter().find(|(_, mode)| *mode as u32 as f64 == n).map_or(CallMode::Sync, |(_, mode)| *mode)
  }
}

#[derive(Debug)]
pub struct CallbackData {
  pub function: RefTarget,
  pub mode: CallMode,
  pub name: String,
  pub length: u32,
}

impl std::fmt::Debug for NodeRef {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "NodeRef(env {})", self.env.id)
  }
}

/// A compiled ES module (ops::module works on it).
pub struct ModuleData {
  pub id: u64,
  pub module: Arc<Remote<v8::Module>>,
  /// The `filename` it was compiled with, to name it in errors.
  pub filename: String,
  pub specifiers: Vec<String>,
  /// The `meta` option: called with `import.meta` the first time the module reads it.
  pub meta: Option<Arc<CallbackData>>,
  pub state: Mutex<ModuleState>,
}

#[derive(Default)]
pub struct ModuleState {
  /// The context the module was instantiated in.
  pub context: Option<Arc<Remote<v8::Context>>>,
  /// The facade's `import()` handler of the resolver the module was instantiated with.
  pub importer: Option<Arc<CallbackData>>,
}

/// A session: its isolate and the id of its V8 session there.
pub struct SessionData {
  pub(crate) core: Arc<IsolateCore>,
  pub(crate) id: u64,
  pub(crate) dead: AtomicBool,
}

impl ModuleData {
  pub fn is_instantiated(&self) -> bool {
    self.state.lock().context.is_some()
  }
}

impl std::fmt::Debug for ModuleData {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "Module({})", self.id)
  }
}

impl std::fmt::Debug for SessionData {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "Session({})", self.id)
  }
}
