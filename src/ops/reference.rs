//! The operations of `Reference`: get, set, delete, apply, copy.

use std::sync::Arc;
use std::time::Instant;

use super::{guard, Work};
use crate::bridge::convert as node_convert;
use crate::error::{Error, Result};
use crate::host::napi::{Napi, Value as NapiValue};
use crate::transfer::{serializer, v8conv, CopyData, RefData, RefTarget, Remote, Str, TransferOptions, TransferType, Transferable, TypeOf};

/// A property key: a string, or an array index.
#[derive(Clone)]
pub enum Key {
  Name(Str),
  Index(u32),
}

impl Key {
  /// isolated-vm accepts strings and 32-bit unsigned integers as keys.
  pub fn from_transferable(value: Option<Transferable>) -> Result<Key> {
    match value {
      Some(Transferable::String(s)) => Ok(Key::Name(s)),
      Some(Transferable::Number(n)) if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 => Ok(Key::Index(n as u32)),
      _ => Err(Error::type_error("Invalid `key`")),
    }
  }

  fn to_v8<'s>(&self, scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Value>> {
    Ok(match self {
      Key::Name(name) => v8conv::str_to_v8(scope, name)?.into(),
      Key::Index(index) => v8conv::string_to_v8(scope, &index.to_string())?.into(),
    })
  }

  fn to_napi(&self, napi: Napi) -> Result<NapiValue> {
    match self {
      Key::Name(name) => napi.str(name),
      Key::Index(index) => napi.string_utf8(&index.to_string()),
    }
  }
}

fn check_object(data: &RefData) -> Result<()> {
  if data.type_of == TypeOf::Object {
    Ok(())
  } else {
    Err(Error::type_error("Reference is not an object"))
  }
}

/// The work of an operation on the referenced value: `in_isolate` runs inside the context the
/// value was referenced from, `in_node` on its Node environment's thread.
fn on_value(
  data: &Arc<RefData>,
  in_isolate: impl for<'s, 'i> FnOnce(&mut v8::PinScope<'s, 'i>, v8::Local<'s, v8::Value>) -> Result<Transferable> + Send + 'static,
  in_node: impl FnOnce(Napi, NapiValue) -> Result<Transferable> + Send + 'static,
) -> Work {
  match &data.target {
    RefTarget::Isolate { value, context } => {
      let (value, context) = (value.clone(), context.clone());
      Work::Isolate(
        value.core.clone(),
        Box::new(move |isolate| {
          v8::scope!(let scope, isolate);
          let context = context.open(scope);
          let scope = &mut v8::ContextScope::new(scope, context);
          let local = value.open(scope);
          in_isolate(scope, local)
        }),
      )
    }
    RefTarget::Node(node) => {
      let node = node.clone();
      Work::Node(node.env.clone(), Box::new(move |napi| in_node(napi, node.get(napi)?)))
    }
  }
}

/// Calls a helper of lib/host.js on a Node object.
fn host_call(napi: Napi, name: &str, args: &[NapiValue]) -> Result<NapiValue> {
  let helper = crate::bridge::copy::host(napi, name)?;
  napi.call(napi.undefined()?, helper, args)
}

fn has_proxy<'s>(scope: &mut v8::PinScope<'s, '_>, mut object: v8::Local<'s, v8::Object>) -> bool {
  loop {
    if object.is_proxy() {
      return true;
    }
    match object.get_prototype(scope).and_then(|p| v8::Local::<v8::Object>::try_from(p).ok()) {
      Some(prototype) => object = prototype,
      None => return false,
    }
  }
}

fn object_checked<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  value: v8::Local<'s, v8::Value>,
  allow_proxy: bool,
) -> Result<v8::Local<'s, v8::Object>> {
  let object = v8::Local::<v8::Object>::try_from(value).map_err(|_| Error::type_error("Reference is not an object"))?;
  if !allow_proxy && has_proxy(scope, object) {
    return Err(Error::type_error("Object is or has proxy"));
  }
  Ok(object)
}

/// True if `object` has `key` as an own accessor (getter/setter) property.
fn is_accessor(scope: &mut v8::PinScope<'_, '_>, object: v8::Local<v8::Object>, key: v8::Local<v8::Name>) -> Result<bool> {
  let descriptor = object.get_own_property_descriptor(scope, key).ok_or(Error::Pending)?;
  let Ok(descriptor) = v8::Local::<v8::Object>::try_from(descriptor) else { return Ok(false) };
  let get = v8conv::string_to_v8(scope, "get")?;
  Ok(descriptor.has_own_property(scope, get.into()).unwrap_or(false))
}

fn own_property<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  object: v8::Local<'s, v8::Object>,
  key: v8::Local<'s, v8::Name>,
  accessors: bool,
) -> Result<Option<v8::Local<'s, v8::Value>>> {
  if !object.has_own_property(scope, key).ok_or(Error::Pending)? {
    return Ok(None);
  }
  if !accessors && is_accessor(scope, object, key)? {
    return Err(Error::type_error("Property is getter"));
  }
  Ok(Some(object.get(scope, key.into()).ok_or(Error::Pending)?))
}

pub fn get(data: &Arc<RefData>, key: Key, accessors: bool, options: TransferOptions) -> Result<Work> {
  check_object(data)?;
  let inherit = data.inherit;
  let accessors = accessors || data.accessors;
  let fallback = if inherit { TransferType::DeepReference } else { TransferType::Reference };
  let options = options.with_fallback(fallback);
  let node_key = key.clone();
  Ok(on_value(
    data,
    move |scope, value| {
      let object = object_checked(scope, value, accessors)?;
      let key = key.to_v8(scope)?;
      let name: v8::Local<v8::Name> = key.to_string(scope).ok_or(Error::Pending)?.into();
      let found = if accessors && inherit {
        let key: v8::Local<v8::Value> = name.into();
        Some(guard::run_user_code(scope, 0, false, |scope| object.get(scope, key))?)
      } else if inherit {
        let mut target = object;
        loop {
          if let Some(found) = own_property(scope, target, name, false)? {
            break Some(found);
          }
          match target.get_prototype(scope).and_then(|p| v8::Local::<v8::Object>::try_from(p).ok()) {
            Some(prototype) => target = prototype,
            None => break None,
          }
        }
      } else if accessors {
        if object.has_own_property(scope, name).ok_or(Error::Pending)? {
          let key: v8::Local<v8::Value> = name.into();
          Some(guard::run_user_code(scope, 0, false, |scope| object.get(scope, key))?)
        } else {
          None
        }
      } else {
        own_property(scope, object, name, false)?
      };
      let found = found.unwrap_or_else(|| v8::undefined(scope).into());
      let found = v8conv::transfer_out(scope, found, options)?;
      Ok(inherit_references(found, inherit))
    },
    move |napi, object| {
      let args = [object, node_key.to_napi(napi)?, napi.boolean(accessors)?, napi.boolean(inherit)?];
      let found = host_call(napi, "get", &args)?;
      let found = node_convert::transfer_out(napi, found, options)?;
      Ok(inherit_references(found, inherit))
    },
  ))
}

/// References returned by an `unsafeInherit` reference inherit too.
fn inherit_references(value: Transferable, inherit: bool) -> Transferable {
  match value {
    Transferable::Reference(data) if inherit && !data.inherit => match Arc::try_unwrap(data) {
      Ok(data) => Transferable::Reference(Arc::new(RefData { inherit: true, ..data })),
      Err(shared) => Transferable::Reference(shared),
    },
    other => other,
  }
}

pub fn set(data: &Arc<RefData>, key: Key, value: Transferable) -> Result<Work> {
  check_object(data)?;
  let (node_key, node_value) = (key.clone(), value.clone());
  Ok(on_value(
    data,
    move |scope, target| {
      let object = object_checked(scope, target, false)?;
      let key = key.to_v8(scope)?;
      // Delete first: frees the old value before the new one is built.
      object.delete(scope, key);
      let value = v8conv::to_v8(scope, value)?;
      let key = v8::Local::<v8::Name>::try_from(key).map_err(|_| Error::type_error("Invalid `key`"))?;
      match object.create_data_property(scope, key, value) {
        Some(true) => Ok(Transferable::Undefined),
        _ => Err(Error::type_error("Set failed")),
      }
    },
    move |napi, object| {
      let args = [object, node_key.to_napi(napi)?, node_convert::to_napi(napi, node_value)?];
      host_call(napi, "set", &args)?;
      Ok(Transferable::Undefined)
    },
  ))
}

pub fn delete(data: &Arc<RefData>, key: Key) -> Result<Work> {
  check_object(data)?;
  let node_key = key.clone();
  Ok(on_value(
    data,
    move |scope, target| {
      let object = object_checked(scope, target, false)?;
      let key = key.to_v8(scope)?;
      match object.delete(scope, key) {
        Some(true) => Ok(Transferable::Undefined),
        _ => Err(Error::type_error("Delete failed")),
      }
    },
    move |napi, object| {
      host_call(napi, "remove", &[object, node_key.to_napi(napi)?])?;
      Ok(Transferable::Undefined)
    },
  ))
}

/// The arguments of a call into another world: each transferred on its own, or all copied
/// together as one array (see ops::callback).
pub enum Arguments {
  Each(Vec<Transferable>),
  Together(Arc<CopyData>),
}

impl From<Vec<Transferable>> for Arguments {
  fn from(each: Vec<Transferable>) -> Arguments {
    Arguments::Each(each)
  }
}

/// Calls the referenced function with `receiver` and `arguments` (already transferable); the
/// result is transferred out with `result`.
pub fn apply(
  target: &RefTarget,
  receiver: Transferable,
  arguments: impl Into<Arguments>,
  timeout_ms: u32,
  result: TransferOptions,
) -> Work {
  let arguments = arguments.into();
  match target {
    RefTarget::Isolate { value, context } => {
      let (value, context) = (value.clone(), context.clone());
      Work::Isolate(
        value.core.clone(),
        Box::new(move |isolate| apply_in_isolate(isolate, &value, &context, receiver, arguments, timeout_ms, result)),
      )
    }
    RefTarget::Node(function) => {
      let function = function.clone();
      Work::Node(
        function.env.clone(),
        Box::new(move |napi| {
          let callee = function.get(napi)?;
          if napi.type_of(callee)? != napi::sys::ValueType::napi_function {
            return Err(Error::type_error("Reference is not a function"));
          }
          let receiver = node_convert::to_napi(napi, receiver)?;
          let argv = match arguments {
            Arguments::Each(each) => each.into_iter().map(|argument| node_convert::to_napi(napi, argument)).collect::<Result<Vec<_>>>()?,
            Arguments::Together(data) => {
              let array = node_convert::to_napi(napi, Transferable::Copy { data, transfer_in: false })?;
              (0..napi.array_len(array)?).map(|index| napi.get_element(array, index)).collect::<Result<Vec<_>>>()?
            }
          };
          let value = napi.call(receiver, callee, &argv)?;
          node_convert::transfer_out(napi, value, result)
        }),
      )
    }
  }
}

fn apply_in_isolate(
  isolate: &mut v8::Isolate,
  value: &Remote<v8::Value>,
  context: &Remote<v8::Context>,
  receiver: Transferable,
  arguments: Arguments,
  timeout_ms: u32,
  result: TransferOptions,
) -> Result<Transferable> {
  v8::scope!(let scope, isolate);
  let context = context.open(scope);
  let scope = &mut v8::ContextScope::new(scope, context);
  let function = v8::Local::<v8::Function>::try_from(value.open(scope)).map_err(|_| Error::type_error("Reference is not a function"))?;
  let receiver = v8conv::to_v8(scope, receiver)?;
  let argv = match arguments {
    Arguments::Each(each) => each.into_iter().map(|argument| v8conv::to_v8(scope, argument)).collect::<Result<Vec<_>>>()?,
    Arguments::Together(data) => {
      let array = v8conv::to_v8(scope, Transferable::Copy { data, transfer_in: false })?;
      let array = v8::Local::<v8::Array>::try_from(array).map_err(|_| Error::generic("isolated-vm: arguments are not an array"))?;
      (0..array.length()).map(|index| array.get_index(scope, index).ok_or(Error::Pending)).collect::<Result<Vec<_>>>()?
    }
  };
  let started = Instant::now();
  let value = guard::run_user_code(scope, timeout_ms, result.promise, |scope| function.call(scope, receiver, &argv))?;
  let value = v8conv::transfer_out(scope, value, result)?;
  guard::limit_promise(&value, timeout_ms, started);
  Ok(value)
}

/// A copy of the referenced value (isolated-vm's `ExternalCopy` rules), made in its own world.
pub fn copy(data: &Arc<RefData>) -> Work {
  on_value(
    data,
    |scope, value| Ok(Transferable::Copy { data: serializer::copy_from_v8(scope, value, false, &[])?, transfer_in: false }),
    |napi, value| Ok(Transferable::Copy { data: crate::bridge::copy::copy_from_napi(napi, value, false, None)?, transfer_in: false }),
  )
}
