//! The isolated-vm API inside our isolates.
//!
//! Isolate code gets the same classes as Node: the facade (lib/facade/, joined by build.rs) runs
//! in the context over a binding made of V8 functions with the names of `api::FUNCTIONS`. It is
//! set up the first time a context needs it (an isolated-vm object or the module itself is
//! passed in) and kept on the context's global object under private keys, invisible to
//! JavaScript.
//!
//! Instances derive from `binding.Base`, an API constructor whose instances have one internal
//! field: it holds the native `Handle` (boxed, so that the isolate's garbage collector frees
//! it), and makes instances host objects to V8's serializer.

pub mod callback;
pub mod front;

use std::sync::Arc;

use crate::api::BindingFn;
use crate::error::{catch_panic, Error, Result};
use crate::isolate::{executor, native_box};
use crate::transfer::facade::{bind, private, FACADE_NAME, LIB_HANDLE};
use crate::transfer::handle::Handle;
use crate::transfer::{v8conv, Transferable};

/// The facade's script, whose value is its `createIsolatedVm` function.
const FACADE_SOURCE: &str = include_str!(concat!(env!("OUT_DIR"), "/facade.js"));
/// The constructor facade instances derive from: instances get one internal field.
fn base_constructor<'s>(scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Function>> {
  let template = v8::FunctionTemplate::new(scope, |_: &mut v8::PinScope, _: v8::FunctionCallbackArguments, _: v8::ReturnValue| {});
  template.instance_template(scope).set_internal_field_count(1);
  template.get_function(scope).ok_or(Error::Pending)
}

/// A facade instance of the current context for a transferred isolated-vm object (or the
/// module object itself for `Transferable::IvmModule`): how transfer::facade makes them.
pub fn facade_for<'s>(scope: &mut v8::PinScope<'s, '_>, value: Transferable) -> Result<v8::Local<'s, v8::Value>> {
  let lib = lib(scope)?;
  if let Transferable::IvmModule = value {
    return Ok(lib.into());
  }
  let handle = Handle::from_transferable(&value).ok_or_else(|| Error::type_error(crate::error::msg::NON_TRANSFERABLE))?;
  let kind = handle.kind().expect("transferables that become facades have a class") as u32;
  let kind = v8::Integer::new_from_unsigned(scope, kind).into();
  let Transferable::Forwarded(forwarded) = &value else {
    let object = instance(scope, &[kind])?;
    bind(scope, object, handle)?;
    return Ok(object.into());
  };
  // A forwarder (lib/facade/forward.js), given the Reference to the dispatcher it calls, and the
  // own properties of the object it stands for.
  let dispatch = facade_for(scope, Transferable::Reference(forwarded.dispatch.clone()))?;
  let object = instance(scope, &[kind, dispatch])?;
  bind(scope, object, handle)?;
  for (name, field) in forwarded.fields.iter().cloned() {
    let key = v8conv::string_to_v8(scope, name)?;
    let field = v8conv::to_v8(scope, field)?;
    object.create_data_property(scope, key.into(), field);
  }
  Ok(object.into())
}

/// A new instance from the facade's factory of the current context (`binding.setup`).
fn instance<'s>(scope: &mut v8::PinScope<'s, '_>, args: &[v8::Local<v8::Value>]) -> Result<v8::Local<'s, v8::Object>> {
  let global = scope.get_current_context().global(scope);
  let key = private(scope, "isolated-vm:factory");
  let factory = global.get_private(scope, key).ok_or(Error::Pending)?;
  let factory =
    v8::Local::<v8::Function>::try_from(factory).map_err(|_| Error::generic("isolated-vm: the API is not set up in this context"))?;
  let undefined = v8::undefined(scope).into();
  let object = factory.call(scope, undefined, args).ok_or(Error::Pending)?;
  v8::Local::<v8::Object>::try_from(object).map_err(|_| Error::generic("isolated-vm: bad facade factory"))
}

/// The isolated-vm module object of the current context, set up on first use.
fn lib<'s>(scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Object>> {
  let global = scope.get_current_context().global(scope);
  let key = private(scope, "isolated-vm:lib");
  if let Some(lib) = global.get_private(scope, key).and_then(|lib| v8::Local::<v8::Object>::try_from(lib).ok()) {
    return Ok(lib);
  }
  let create = facade_factory(scope)?;
  let binding = binding(scope)?;
  let undefined = v8::undefined(scope).into();
  let lib = create.call(scope, undefined, &[binding.into()]).ok_or(Error::Pending)?;
  v8::Local::<v8::Object>::try_from(lib).map_err(|_| Error::generic("isolated-vm: the facade did not return the module"))
}

/// `createIsolatedVm` of the facade, compiled once per isolate.
fn facade_factory<'s>(scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Function>> {
  let core = executor::entered()?;
  let cached = core.locked.lock().facade_script.as_ref().map(|script| v8::Local::new(scope, script));
  let script = match cached {
    Some(script) => script,
    None => {
      let source = v8conv::string_to_v8(scope, FACADE_SOURCE)?;
      let name = v8conv::string_to_v8(scope, FACADE_NAME)?;
      let origin = v8::ScriptOrigin::new(scope, name.into(), 0, 0, false, -1, None, false, false, false, None);
      let mut source = v8::script_compiler::Source::new(source, Some(&origin));
      let script = v8::script_compiler::compile_unbound_script(
        scope,
        &mut source,
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
      )
      .ok_or(Error::Pending)?;
      core.locked.lock().facade_script = Some(v8::Global::new(scope, script));
      script
    }
  };
  let create = script.bind_to_current_context(scope).run(scope).ok_or(Error::Pending)?;
  v8::Local::<v8::Function>::try_from(create).map_err(|_| Error::generic("isolated-vm: bad facade"))
}

/// The binding object the facade is built on in this context.
fn binding<'s>(scope: &mut v8::PinScope<'s, '_>) -> Result<v8::Local<'s, v8::Object>> {
  let binding = v8::Object::new(scope);
  for crate::api::Binding { name, function, .. } in crate::api::FUNCTIONS {
    let data = v8::External::new(scope, *function as *mut std::ffi::c_void);
    let function = v8::Function::builder(call_binding).data(data.into()).build(scope).ok_or(Error::Pending)?;
    let key = v8conv::string_to_v8(scope, name)?;
    binding.set(scope, key.into(), function.into());
  }
  let setup = v8::Function::new(scope, setup).ok_or(Error::Pending)?;
  let key = v8conv::string_to_v8(scope, "setup")?;
  binding.set(scope, key.into(), setup.into());
  let base = base_constructor(scope)?;
  let key = v8conv::string_to_v8(scope, "Base")?;
  binding.set(scope, key.into(), base.into());
  Ok(binding)
}

/// The V8 callback of every binding function: the function's data is the Rust function to run.
fn call_binding<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, mut rv: v8::ReturnValue<'s, v8::Value>) {
  let function = v8::Local::<v8::External>::try_from(args.data()).map(|data| data.value());
  let mut call = front::V8Call::new(scope, &args);
  let result = catch_panic(|| {
    // SAFETY: this callback only serves the functions `binding` made, whose data is an External
    // of a `BindingFn` (JavaScript cannot change a function's data).
    let function: BindingFn = unsafe { std::mem::transmute(function.map_err(|_| Error::illegal_invocation())?) };
    function(&mut call)
  });
  match result {
    Ok(()) => {
      if let Some(value) = call.take_return() {
        rv.set(value);
      }
    }
    Err(error) => v8conv::throw(call.scope(), error),
  }
}

/// `binding.setup(factory, lib)`: keeps the facade's instance factory and module object on the
/// context's global object.
fn setup<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  let global = scope.get_current_context().global(scope);
  let factory_key = private(scope, "isolated-vm:factory");
  global.set_private(scope, factory_key, args.get(0));
  let lib_key = private(scope, "isolated-vm:lib");
  global.set_private(scope, lib_key, args.get(1));
  let key = private(scope, LIB_HANDLE);
  let holder = native_box::wrap(scope, Arc::new(Handle::IvmModule));
  if let Ok(lib) = v8::Local::<v8::Object>::try_from(args.get(1)) {
    lib.set_private(scope, key, holder.into());
  }
}
