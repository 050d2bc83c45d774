//! Values between Node and `Transferable`.

use std::sync::{Arc, OnceLock};

use napi::sys;

use super::facade;
use crate::error::{msg, Error, Result};
use crate::host::napi::{Napi, Value};
use crate::host::{NodeEnv, NodeRef};
use crate::transfer::handle::Handle;
use crate::transfer::options::{self, Shape, Source};
use crate::transfer::{CallMode, CallbackData, Primitive, RefData, RefTarget, TransferOptions, TransferType, Transferable, TypeOf};

/// How a Callback becomes a Node function, which the Node front-end (src/node) gives when the
/// addon loads: the function's Node-API callback is the front-end's.
pub type CallbackMaker = fn(Napi, Arc<CallbackData>) -> Result<Value>;

static CALLBACK_MAKER: OnceLock<CallbackMaker> = OnceLock::new();

/// Sets the callback maker; called when the addon loads (the first call counts).
pub fn register(maker: CallbackMaker) {
  let _ = CALLBACK_MAKER.set(maker);
}

fn callback_maker() -> Result<&'static CallbackMaker> {
  CALLBACK_MAKER.get().ok_or_else(|| Error::generic("isolated-vm: the Node binding is not set up"))
}

fn env_of_thread() -> Result<Arc<NodeEnv>> {
  NodeEnv::current().ok_or_else(NodeEnv::gone_error)
}

/// Primitives are copied; `None` for objects, functions and symbols.
pub fn type_of(napi: Napi, value: Value) -> Result<TypeOf> {
  Ok(match napi.type_of(value)? {
    sys::ValueType::napi_undefined => TypeOf::Undefined,
    sys::ValueType::napi_null => TypeOf::Null,
    sys::ValueType::napi_boolean => TypeOf::Boolean,
    sys::ValueType::napi_number => TypeOf::Number,
    sys::ValueType::napi_string => TypeOf::String,
    sys::ValueType::napi_function => TypeOf::Function,
    _ => TypeOf::Object,
  })
}

/// A Reference to a value of this Node environment.
pub fn reference_to(napi: Napi, value: Value, inherit: bool) -> Result<Arc<RefData>> {
  let env = env_of_thread()?;
  Ok(Arc::new(RefData {
    target: RefTarget::Node(Arc::new(NodeRef::new(napi, &env, value)?)),
    type_of: type_of(napi, value)?,
    inherit,
    accessors: false,
  }))
}

/// A Callback around a function of this Node environment.
pub fn callback_to(napi: Napi, function: Value, mode: CallMode) -> Result<Arc<CallbackData>> {
  let env = env_of_thread()?;
  let name = napi.get_named(function, "name").and_then(|n| napi.get_string(n)).unwrap_or_default();
  let length = napi.get_named(function, "length").and_then(|n| napi.get_f64(n)).unwrap_or(0.0);
  Ok(Arc::new(CallbackData {
    function: RefTarget::Node(Arc::new(NodeRef::new(napi, &env, function)?)),
    mode,
    name,
    length: if length.is_finite() && length >= 0.0 { length as u32 } else { 0 },
  }))
}

/// Makes a Node value transferable (isolated-vm's `OptionalTransferOut`).
pub fn from_napi(napi: Napi, value: Value, options: TransferOptions) -> Result<Option<Transferable>> {
  options::transfer_out(&mut NodeValue { napi, value }, options)
}

/// A Node value under the transfer rule.
struct NodeValue {
  napi: Napi,
  value: Value,
}

impl Source for NodeValue {
  fn promise(&mut self, options: TransferOptions) -> Result<Transferable> {
    super::promise::promise_from_napi(self.napi, self.value, options)
  }
  fn shape(&mut self) -> Result<Shape> {
    Ok(match self.napi.type_of(self.value)? {
      sys::ValueType::napi_function => Shape::Function,
      sys::ValueType::napi_object => Shape::Object,
      _ => Shape::Other,
    })
  }
  fn facade(&mut self) -> Result<Option<Arc<Handle>>> {
    super::forward::handle(self.napi, self.value)
  }
  fn callback(&mut self) -> Result<Transferable> {
    Ok(Transferable::Callback(callback_to(self.napi, self.value, CallMode::Sync)?))
  }
  fn primitive(&mut self) -> Result<Option<Primitive>> {
    self.napi.primitive(self.value)
  }
  fn reference(&mut self, inherit: bool) -> Result<Transferable> {
    Ok(Transferable::Reference(reference_to(self.napi, self.value, inherit)?))
  }
  fn copy(&mut self, kind: TransferType) -> Result<Transferable> {
    super::copy::copy_out(self.napi, self.value, kind)
  }
}

/// Like `from_napi`, but a non-transferable value is an error.
pub fn transfer_out(napi: Napi, value: Value, options: TransferOptions) -> Result<Transferable> {
  from_napi(napi, value, options)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))
}

/// The referenced value, if it is of this Node environment.
fn value_here(napi: Napi, data: &RefData) -> Result<Value> {
  match &data.target {
    RefTarget::Node(node_ref) if node_ref.env.is_current_thread() => node_ref.get(napi),
    _ => Err(Error::type_error("Cannot dereference this into target isolate")),
  }
}

/// Rebuilds a transferred value in this Node environment.
pub fn to_napi(napi: Napi, value: Transferable) -> Result<Value> {
  match value {
    Transferable::Undefined => napi.undefined(),
    Transferable::Null => napi.null(),
    Transferable::Bool(b) => napi.boolean(b),
    Transferable::Number(n) => napi.number(n),
    Transferable::BigInt { negative, words } => napi.bigint_words(negative, &words),
    Transferable::String(s) => napi.str(&s),
    Transferable::Dereference(data) => value_here(napi, &data),
    // Node's object for an object of an out-of-process isolate.
    Transferable::Forwarded(data) => value_here(napi, &data.target),
    Transferable::Callback(data) => callback_maker()?(napi, data),
    Transferable::Copy { data, transfer_in } => super::copy::copy_into_napi(napi, &data, transfer_in),
    Transferable::Promise(state) => super::promise::promise_to_napi(napi, &state),
    Transferable::Record(fields) => {
      let object = napi.object()?;
      for (name, field) in fields {
        let field = to_napi(napi, field)?;
        napi.set_named(object, name, field)?;
      }
      Ok(object)
    }
    Transferable::Extended(value, fields) => {
      let object = to_napi(napi, *value)?;
      for (name, field) in fields {
        let field = to_napi(napi, field)?;
        napi.set_named(object, name, field)?;
      }
      Ok(object)
    }
    Transferable::List(items) => {
      let array = napi.array(items.len())?;
      for (index, item) in items.into_iter().enumerate() {
        let item = to_napi(napi, item)?;
        napi.set_element(array, index as u32, item)?;
      }
      Ok(array)
    }
    Transferable::IvmModule => {
      let env = env_of_thread()?;
      let lib = env.state.lock().lib.as_ref().map(|lib| lib.get(napi)).transpose()?;
      lib.ok_or_else(NodeEnv::gone_error)
    }
    handle => facade::create(napi, handle),
  }
}
