//! Values between Node and `Transferable`.

use std::sync::{Arc, OnceLock};

use napi::sys;

use super::facade;
use crate::error::{msg, Error, Result};
use crate::host::napi::{Napi, Value};
use crate::host::{NodeEnv, NodeRef};
use crate::transfer::{CallMode, CallbackData, RefData, RefTarget, TransferOptions, TransferType, Transferable, TypeOf};

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
  if options.promise {
    return super::promise::promise_from_napi(napi, value, TransferOptions { promise: false, ..options }).map(Some);
  }
  let kind = if options.kind == TransferType::None {
    let value_type = napi.type_of(value)?;
    if value_type == sys::ValueType::napi_object || value_type == sys::ValueType::napi_function {
      if let Some(handle) = facade::unwrap(napi, value)? {
        return handle.transfer_out().map(Some);
      }
      if value_type == sys::ValueType::napi_function {
        return Ok(Some(Transferable::Callback(callback_to(napi, value, CallMode::Sync)?)));
      }
    }
    if let Some(primitive) = napi.primitive(value)? {
      return Ok(Some(primitive.into()));
    }
    options.fallback
  } else {
    options.kind
  };
  match kind {
    TransferType::None => Ok(None),
    TransferType::Reference => Ok(Some(Transferable::Reference(reference_to(napi, value, false)?))),
    TransferType::DeepReference => Ok(Some(Transferable::Reference(reference_to(napi, value, true)?))),
    TransferType::Copy => match napi.primitive(value)? {
      Some(primitive) => Ok(Some(primitive.into())),
      None => super::copy::copy_out(napi, value, kind).map(Some),
    },
    TransferType::ExternalCopy => super::copy::copy_out(napi, value, kind).map(Some),
  }
}

/// Like `from_napi`, but a non-transferable value is an error.
pub fn transfer_out(napi: Napi, value: Value, options: TransferOptions) -> Result<Transferable> {
  from_napi(napi, value, options)?.ok_or_else(|| Error::type_error(msg::NON_TRANSFERABLE))
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
    Transferable::Dereference(data) => match &data.target {
      RefTarget::Node(node_ref) if node_ref.env.is_current_thread() => node_ref.get(napi),
      _ => Err(Error::type_error("Cannot dereference this into target isolate")),
    },
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
