//! ES modules: compiling, linking, instantiating, evaluating, `import.meta` and `import()`.
//!
//! Linking is driven by the facade (lib/facade/linker.js), in the world of the resolver
//! function: for each module it claims (`begin_link`), it asks the resolver for each dependency
//! and records the answer (`resolve`). Instantiating then links V8's modules from those
//! answers, which is all V8's resolve callback (a plain function) has to look up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use parking_lot::Mutex;

use super::sealed::{self, Kind};
use super::source::ScriptSource;
use super::{guard, isolate::in_compile_context, Work};
use crate::error::{catch_panic, msg, Error, Result};
use crate::isolate::extensions::Extension;
use crate::isolate::{executor, IsolateCore};
use crate::transfer::{
  v8conv, CallbackData, ContextData, ModuleData, ModuleState, RefData, RefTarget, Remote, TransferOptions, Transferable, TypeOf,
};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Modules of an isolate, by V8 identity hash (for the `import.meta` callback) and by id (for
/// `import()`, which only knows the host-defined options of its referrer). Kept in the isolate
/// (an `Extension`).
#[derive(Default)]
pub struct Modules(Mutex<ModuleRegistry>);

#[derive(Default)]
struct ModuleRegistry {
  by_hash: HashMap<i32, Vec<Weak<ModuleData>>>,
  by_id: HashMap<u64, Weak<ModuleData>>,
  /// Entries of dropped modules are pruned when the registry has doubled since the last prune,
  /// which keeps adding O(1) amortized.
  pruned_at: usize,
}

impl ModuleRegistry {
  fn add(&mut self, hash: i32, data: &Arc<ModuleData>) {
    if self.by_id.len() >= 2 * self.pruned_at.max(64) {
      self.by_id.retain(|_, weak| weak.strong_count() > 0);
      self.by_hash.retain(|_, list| {
        list.retain(|weak| weak.strong_count() > 0);
        !list.is_empty()
      });
      self.pruned_at = self.by_id.len();
    }
    self.by_hash.entry(hash).or_default().push(Arc::downgrade(data));
    self.by_id.insert(data.id, Arc::downgrade(data));
  }

  fn forget_instantiations(&mut self) -> Vec<ModuleState> {
    let modules = self.by_id.values().filter_map(Weak::upgrade);
    modules.map(|module| std::mem::take(&mut *module.state.lock())).collect()
  }
}

impl Extension for Modules {
  /// Forgets what modules were instantiated with. The `import()` handlers hold the resolvers,
  /// which often hold the modules: left alone, that cycle through the caller's world would keep
  /// everything alive. Dropped after the registry's lock is released.
  fn disposed(&self) {
    let instantiations = self.0.lock().forget_instantiations();
    drop(instantiations);
  }
}

/// The data of a V8 module of the current isolate.
fn lookup(scope: &mut v8::PinScope<'_, '_>, module: v8::Local<v8::Module>) -> Option<Arc<ModuleData>> {
  let core = executor::current()?;
  let candidates: Vec<Arc<ModuleData>> = {
    let modules = core.extensions.get::<Modules>();
    let registry = modules.0.lock();
    registry.by_hash.get(&module.get_identity_hash().get())?.iter().filter_map(Weak::upgrade).collect()
  };
  candidates.into_iter().find(|data| data.module.open(scope) == module)
}

pub fn compile(core: &Arc<IsolateCore>, mut source: ScriptSource, meta: Option<Arc<CallbackData>>) -> Result<Work> {
  if let Some(meta) = &meta {
    let same_isolate = matches!(&meta.function, RefTarget::Isolate { value, .. } if value.core.id == core.id);
    if !same_isolate {
      return Err(Error::generic("`meta` callback must belong to entered isolate"));
    }
  }
  Ok(Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      in_compile_context(isolate, |scope, core, site| {
        source.retain_code(scope)?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let host_options = v8::PrimitiveArray::new(scope, 1);
        let id_value = v8::Number::new(scope, id as f64);
        host_options.set(scope, 0, id_value.into());
        let mut compiled = source.compile_source(scope, true, Some(host_options.into()))?;
        let options = source.compile_options();
        let module = guard::compile(scope, site, |scope| {
          v8::script_compiler::compile_module2(scope, &mut compiled, options, v8::script_compiler::NoCacheReason::NoReason)
        })?;
        let cache = source.cache_result(&compiled, || {
          module.get_unbound_module_script(scope).create_code_cache().map(|data| sealed::seal(Kind::CodeCache, &data))
        });
        let requests = module.get_module_requests();
        let mut specifiers = Vec::with_capacity(requests.length());
        for index in 0..requests.length() {
          let request = requests.get(scope, index).and_then(|r| v8::Local::<v8::ModuleRequest>::try_from(r).ok());
          if let Some(request) = request {
            specifiers.push(request.get_specifier().to_rust_string_lossy(scope));
          }
        }
        let data = Arc::new(ModuleData {
          id,
          module: Remote::new(core, scope, module),
          filename: source.filename(),
          specifiers,
          meta: meta.clone(),
          state: Mutex::default(),
        });
        core.extensions.get::<Modules>().0.lock().add(module.get_identity_hash().get(), &data);
        Ok(cache.with(Transferable::Module(data)))
      })
    }),
  ))
}

/// What the resolver gave for one import of one module.
pub struct Link {
  pub referrer: Arc<ModuleData>,
  pub specifier: String,
  pub dependency: Arc<ModuleData>,
}

/// The resolutions of the instantiation in progress on this thread, for V8's resolve callback
/// (a plain function). Instantiating runs no JavaScript, so it never nests.
type LinkTable = HashMap<(u64, String), Arc<ModuleData>>;

thread_local! {
  static LINKS: std::cell::RefCell<LinkTable> = std::cell::RefCell::new(HashMap::new());
}

/// V8's resolve callback: the module the resolver gave for `specifier` of `referrer`.
fn resolve_callback<'s>(
  context: v8::Local<'s, v8::Context>,
  specifier: v8::Local<'s, v8::String>,
  _attributes: v8::Local<'s, v8::FixedArray>,
  referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
  // SAFETY: V8 calls the resolve callback while instantiating, on the isolate's thread inside
  // its scopes, which is what a callback scope needs.
  v8::callback_scope!(unsafe scope, context);
  let result = catch_panic(|| {
    let specifier = specifier.to_rust_string_lossy(scope);
    let referrer = lookup(scope, referrer);
    let dependency =
      referrer.as_ref().and_then(|referrer| LINKS.with(|links| links.borrow().get(&(referrer.id, specifier.clone())).cloned()));
    let dependency = dependency.ok_or_else(|| {
      let from = referrer.map(|referrer| referrer.filename.clone()).unwrap_or_default();
      Error::generic(format!("Dependency \"{specifier}\" of {from} was left unresolved"))
    })?;
    Ok(dependency.module.open(scope))
  });
  match result {
    // SAFETY: the callback scope opens no handle scope of its own, so the local lives in the
    // scope V8 called us from, as long as the returned module is used.
    Ok(module) => Some(unsafe { std::mem::transmute::<v8::Local<'_, v8::Module>, v8::Local<'s, v8::Module>>(module) }),
    Err(error) => {
      v8conv::throw(scope, error);
      None
    }
  }
}

/// Instantiates a module graph in `context`, with the resolutions the facade's linker gathered.
pub fn instantiate(
  data: Arc<ModuleData>,
  context: Arc<ContextData>,
  importer: Option<Arc<CallbackData>>,
  links: Vec<Link>,
) -> Result<Work> {
  let core = data.module.core.clone();
  if core.id != context.context.core.id {
    return Err(Error::generic(msg::INVALID_CONTEXT));
  }
  let mut table = LinkTable::with_capacity(links.len());
  for link in links {
    if link.dependency.module.core.id != core.id {
      return Err(Error::type_error(format!(
        "Resolved dependency \"{}\" of {} belongs to another isolate",
        link.specifier, link.referrer.filename
      )));
    }
    table.insert((link.referrer.id, link.specifier), link.dependency);
  }
  Ok(Work::Isolate(
    core,
    Box::new(move |isolate| {
      v8::scope!(let scope, isolate);
      let local_context = context.context.open(scope);
      let scope = &mut v8::ContextScope::new(scope, local_context);
      instantiate_now(scope, &data, &context.context, importer, table).map(|_| Transferable::Undefined)
    }),
  ))
}

/// Instantiates in the current context, which is `context`. Instantiating twice has no effect.
fn instantiate_now(
  scope: &mut v8::PinScope<'_, '_>,
  data: &Arc<ModuleData>,
  context: &Arc<Remote<v8::Context>>,
  importer: Option<Arc<CallbackData>>,
  table: LinkTable,
) -> Result<()> {
  let module = data.module.open(scope);
  if module.get_status() != v8::ModuleStatus::Uninstantiated {
    return Ok(());
  }
  let graph: Vec<Arc<ModuleData>> = std::iter::once(data.clone()).chain(table.values().cloned()).collect();
  LINKS.with(|links| *links.borrow_mut() = table);
  v8::tc_scope!(let tc, scope);
  let instantiated = module.instantiate_module(tc, resolve_callback);
  LINKS.with(|links| links.borrow_mut().clear());
  if instantiated != Some(true) || tc.has_caught() {
    return Err(match tc.exception() {
      Some(exception) => Error::Thrown(v8conv::thrown_from_v8(tc, exception)),
      None => Error::generic(msg::DISPOSED_DURING_EXECUTION),
    });
  }
  // Every module of the graph that was not instantiated before now is, in this context.
  for module in graph {
    let mut state = module.state.lock();
    if state.context.is_none() {
      state.context = Some(context.clone());
      state.importer = importer.clone();
    }
  }
  Ok(())
}

/// Evaluates an instantiated module. The result settles when the module's evaluation does (top
/// level await): an async caller gets a promise of that; a sync caller gets undefined when the
/// evaluation is still waiting for something.
pub fn evaluate(data: Arc<ModuleData>, timeout_ms: u32, wait: bool) -> Work {
  Work::Isolate(
    data.module.core.clone(),
    Box::new(move |isolate| {
      v8::scope!(let scope, isolate);
      let context = data.state.lock().context.clone();
      let Some(context) = context else {
        return Err(Error::generic("Module is uninstantiated"));
      };
      let local_context = context.open(scope);
      let scope = &mut v8::ContextScope::new(scope, local_context);
      let module = data.module.open(scope);
      let started = Instant::now();
      let result = guard::run_user_code(scope, timeout_ms, true, |scope| module.evaluate(scope))?;
      let Ok(promise) = v8::Local::<v8::Promise>::try_from(result) else { return Ok(Transferable::Undefined) };
      match promise.state() {
        v8::PromiseState::Fulfilled => Ok(Transferable::Undefined),
        v8::PromiseState::Rejected => {
          let reason = promise.result(scope);
          Err(Error::Thrown(v8conv::thrown_from_v8(scope, reason)))
        }
        v8::PromiseState::Pending if wait => {
          let evaluation = v8conv::transfer_out(scope, promise.into(), TransferOptions { promise: true, ..TransferOptions::NONE })?;
          guard::limit_promise(&evaluation, timeout_ms, started);
          Ok(evaluation)
        }
        v8::PromiseState::Pending => Ok(Transferable::Undefined),
      }
    }),
  )
}

/// `module.namespace`: a Reference to the module's exports, once instantiated.
pub fn namespace(data: &Arc<ModuleData>) -> Result<Work> {
  let context = data.state.lock().context.clone().ok_or_else(|| Error::generic("Module has not been instantiated."))?;
  let module = data.module.clone();
  Ok(Work::Isolate(
    module.core.clone(),
    Box::new(move |isolate| {
      let core = executor::entered()?;
      v8::scope!(let scope, isolate);
      let local_context = context.open(scope);
      let scope = &mut v8::ContextScope::new(scope, local_context);
      let namespace = module.open(scope).get_module_namespace();
      Ok(Transferable::Reference(Arc::new(RefData {
        target: RefTarget::Isolate { value: Remote::new(&core, scope, namespace), context: context.clone() },
        type_of: TypeOf::Object,
        inherit: false,
        accessors: true,
      })))
    }),
  ))
}

/// V8's `import.meta` callback: calls the module's `meta` option with the object.
pub unsafe extern "C" fn initialize_import_meta(
  context: v8::Local<v8::Context>,
  module: v8::Local<v8::Module>,
  meta: v8::Local<v8::Object>,
) {
  // SAFETY: V8 calls this callback from running module code, on the isolate's thread inside
  // its scopes.
  v8::callback_scope!(unsafe scope, context);
  let _ = catch_panic(|| {
    let callback = lookup(scope, module).and_then(|data| data.meta.clone());
    if let Some(RefTarget::Isolate { value, .. }) = callback.as_ref().map(|c| &c.function) {
      if let Ok(function) = v8::Local::<v8::Function>::try_from(value.open(scope)) {
        let undefined = v8::undefined(scope).into();
        function.call(scope, undefined, &[meta.into()]);
      }
    }
    Ok(())
  });
}

/// V8's `import()` callback. The referrer is found from the host-defined options its module
/// was compiled with; its resolver's `import()` handler (from the facade) resolves and links the
/// imported module in the resolver's world, then it is instantiated and evaluated here.
pub fn import_dynamically<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  host_options: v8::Local<'s, v8::Data>,
  _resource: v8::Local<'s, v8::Value>,
  specifier: v8::Local<'s, v8::String>,
  _attributes: v8::Local<'s, v8::FixedArray>,
) -> Option<v8::Local<'s, v8::Promise>> {
  let resolver = v8::PromiseResolver::new(scope)?;
  let promise = resolver.get_promise(scope);
  let specifier = specifier.to_rust_string_lossy(scope);
  let result = catch_panic(|| start_import(scope, host_options, &specifier, resolver));
  if let Err(error) = result {
    let error = v8conv::rejection(scope, error, None);
    resolver.reject(scope, error);
  }
  Some(promise)
}

fn referrer_of(scope: &mut v8::PinScope<'_, '_>, host_options: v8::Local<v8::Data>) -> Option<Arc<ModuleData>> {
  if !host_options.is_fixed_array() {
    return None;
  }
  // SAFETY: a PrimitiveArray is a FixedArray inside V8; modules are compiled with one.
  let options = unsafe { v8::Local::<v8::PrimitiveArray>::cast_unchecked(host_options) };
  if options.length() == 0 {
    return None;
  }
  let id = options.get(scope, 0).number_value(scope)? as u64;
  let core = executor::current()?;
  let data = core.extensions.get::<Modules>().0.lock().by_id.get(&id)?.upgrade();
  data
}

fn start_import(
  scope: &mut v8::PinScope<'_, '_>,
  host_options: v8::Local<v8::Data>,
  specifier: &str,
  resolver: v8::Local<v8::PromiseResolver>,
) -> Result<()> {
  let referrer = referrer_of(scope, host_options);
  let importer = referrer.as_ref().and_then(|referrer| referrer.state.lock().importer.clone());
  let (Some(referrer), Some(importer)) = (referrer, importer) else {
    return Err(Error::type_error(format!("Cannot import \"{specifier}\": dynamic import() needs a module instantiated with a resolver")));
  };
  let core = executor::entered()?;
  // The imported module arrives as the settled value of an internal promise of this context.
  let (completion, arrived) = crate::bridge::completion::Completion::isolate(&core, scope, true)?;
  let holder = v8::Array::new(scope, 2);
  holder.set_index(scope, 0, resolver.into());
  let arguments = vec![Transferable::string(specifier), Transferable::Module(referrer)];
  let result = TransferOptions { promise: true, ..TransferOptions::NONE };
  let work = super::reference::apply(&importer.function, Transferable::Undefined, arguments, 0, result);
  super::run_async(
    work,
    Box::new(move |outcome| match outcome {
      Ok(Transferable::Promise(state)) => state.wait(move |result| completion.settle(result)),
      other => completion.settle(other),
    }),
  );
  let on_module = v8::Function::builder(imported).data(holder.into()).build(scope).ok_or(Error::Pending)?;
  let on_error = v8::Function::builder(import_failed).data(holder.into()).build(scope).ok_or(Error::Pending)?;
  arrived.then2(scope, on_module, on_error).ok_or(Error::Pending)?;
  Ok(())
}

fn import_resolver<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  args: &v8::FunctionCallbackArguments<'s>,
) -> Option<v8::Local<'s, v8::PromiseResolver>> {
  let holder = v8::Local::<v8::Array>::try_from(args.data()).ok()?;
  let resolver = holder.get_index(scope, 0).filter(|value| value.is_promise())?;
  // SAFETY: the holder is private to our functions and its first slot is always the resolver
  // (which is a promise inside V8).
  Some(unsafe { v8::Local::<v8::PromiseResolver>::cast_unchecked(resolver) })
}

/// The imported module arrived, instantiated: evaluate it and resolve `import()` with its
/// namespace.
fn imported<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  let Some(resolver) = import_resolver(scope, &args) else { return };
  let result = catch_panic(|| {
    let handle = crate::transfer::facade::facade_handle(scope, args.get(0))?
      .ok_or_else(|| Error::type_error("Resolved dependency was not `Module`"))?;
    let data = handle.module()?;
    let module = data.module.open(scope);
    let evaluation = module.evaluate(scope).ok_or(Error::Pending)?;
    Ok((module, evaluation))
  });
  match result {
    Ok((module, evaluation)) => {
      let namespace = module.get_module_namespace();
      match v8::Local::<v8::Promise>::try_from(evaluation) {
        Ok(evaluation) => {
          // Resolve with the namespace once evaluation (top level await included) is done.
          let holder = v8::Array::new(scope, 2);
          holder.set_index(scope, 0, resolver.into());
          holder.set_index(scope, 1, namespace);
          let done = v8::Function::builder(import_evaluated).data(holder.into()).build(scope);
          let failed = v8::Function::builder(import_failed).data(holder.into()).build(scope);
          if let (Some(done), Some(failed)) = (done, failed) {
            evaluation.then2(scope, done, failed);
          }
        }
        Err(_) => {
          resolver.resolve(scope, namespace);
        }
      }
    }
    Err(error) => {
      let error = v8conv::rejection(scope, error, None);
      resolver.reject(scope, error);
    }
  }
}

fn import_evaluated<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  let Some(resolver) = import_resolver(scope, &args) else { return };
  let holder = v8::Local::<v8::Array>::try_from(args.data()).ok();
  if let Some(namespace) = holder.and_then(|holder| holder.get_index(scope, 1)) {
    resolver.resolve(scope, namespace);
  }
}

fn import_failed<'s>(scope: &mut v8::PinScope<'s, '_>, args: v8::FunctionCallbackArguments<'s>, _rv: v8::ReturnValue<'s, v8::Value>) {
  if let Some(resolver) = import_resolver(scope, &args) {
    resolver.reject(scope, args.get(0));
  }
}
