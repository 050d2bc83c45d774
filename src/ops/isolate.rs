//! Work on an isolate itself: contexts, script compilation, statistics.

use std::sync::Arc;

use super::guard::{self, CompileSite};
use super::sealed::{self, Kind};
use super::source::ScriptSource;
use super::Work;
use crate::error::{Error, Result};
use crate::isolate::{executor, hooks, IsolateCore, IsolateOptions};
use crate::transfer::{ContextData, RefData, RefTarget, Remote, ScriptData, Transferable, TypeOf};

/// A new isolate, starting V8 first if needed, with the V8 callbacks of ops: modules'
/// `import()` and `import.meta`, and surviving fatal out-of-memory errors.
pub fn new_isolate(options: IsolateOptions) -> Result<Arc<IsolateCore>> {
  crate::platform::init(super::catastrophe::fatal_error);
  crate::transfer::settle::register_microtask_runner(super::guard::run_microtasks);
  IsolateCore::new(options, |isolate| {
    isolate.set_host_import_module_dynamically_callback(super::module::import_dynamically);
    isolate.set_host_initialize_import_meta_object_callback(super::module::initialize_import_meta);
    isolate.set_oom_error_handler(super::catastrophe::out_of_memory);
  })
}

/// Runs `compile` in a context of the isolate: V8 compiles in one, though scripts and modules
/// belong to none. Making a context costs more than most compiles (the first of an isolate
/// about 0.5 ms), so compiling borrows the context `createContext()` made last, where no user
/// code runs while compiling; an isolate without one gets a spare context, which the next
/// `createContext()` hands out. A compile that fails in a user context is repeated in a spare,
/// so that making its error runs no user code (such as an `Error.prepareStackTrace` getter).
/// Inspectable isolates always compile in the spare: the inspector reports a script to the
/// sessions of the context it was compiled in.
pub fn in_compile_context<R>(
  isolate: &mut v8::Isolate,
  mut compile: impl FnMut(&mut v8::PinScope<'_, '_>, &Arc<IsolateCore>, CompileSite) -> Result<R>,
) -> Result<R> {
  let core = executor::entered()?;
  v8::scope!(let scope, isolate);
  let borrowed = {
    let locked = core.locked.lock();
    let usable = locked.spare_context.is_none() && !core.inspector_enabled;
    locked.compile_context.as_ref().filter(|_| usable).and_then(std::sync::Weak::upgrade)
  };
  if let Some(context) = borrowed {
    let context = context.open(scope);
    let scope = &mut v8::ContextScope::new(scope, context);
    match compile(scope, &core, CompileSite::Borrowed) {
      Err(Error::Pending) => {}
      outcome => return outcome,
    }
  }
  let context = spare_context(scope, &core);
  let scope = &mut v8::ContextScope::new(scope, context);
  compile(scope, &core, CompileSite::Own)
}

/// The isolate's spare context, made if it has none.
fn spare_context<'s>(scope: &mut v8::PinScope<'s, '_, ()>, core: &IsolateCore) -> v8::Local<'s, v8::Context> {
  let existing = core.locked.lock().spare_context.as_ref().map(|context| v8::Local::new(scope, context));
  existing.unwrap_or_else(|| {
    let context = hooks::new_context(scope);
    core.locked.lock().spare_context = Some(v8::Global::new(scope, context));
    context
  })
}

/// A new context; with `inspector`, visible to the isolate's inspector sessions.
pub fn create_context(core: &Arc<IsolateCore>, inspector: bool) -> Work {
  Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      let core = executor::entered()?;
      let inspector = inspector.then(|| crate::inspector::state(&core, isolate));
      v8::scope!(let scope, isolate);
      let spare = core.locked.lock().spare_context.take();
      let context = match spare {
        Some(spare) => v8::Local::new(scope, spare),
        None => hooks::new_context(scope),
      };
      if let Some(inspector) = inspector {
        inspector.context_created(scope, context);
      }
      let scope = &mut v8::ContextScope::new(scope, context);
      let global = context.global(scope);
      let context = Remote::new(&core, scope, context);
      core.locked.lock().compile_context = Some(Arc::downgrade(&context));
      let global = Arc::new(RefData {
        target: RefTarget::Isolate { value: Remote::new(&core, scope, global.into()), context: context.clone() },
        type_of: TypeOf::Object,
        inherit: false,
        accessors: false,
      });
      Ok(Transferable::Context(Arc::new(ContextData { context, global })))
    }),
  )
}

pub fn compile_script(core: &Arc<IsolateCore>, mut source: ScriptSource) -> Work {
  Work::Isolate(
    core.clone(),
    Box::new(move |isolate| {
      in_compile_context(isolate, |scope, core, site| {
        source.retain_code(scope)?;
        let mut compiled = source.compile_source(scope, false, None)?;
        let options = source.compile_options();
        let script = guard::compile(scope, site, |scope| {
          v8::script_compiler::compile_unbound_script(scope, &mut compiled, options, v8::script_compiler::NoCacheReason::NoReason)
        })?;
        let cache = source.cache_result(&compiled, || script.create_code_cache().map(|data| sealed::seal(Kind::CodeCache, &data)));
        Ok(cache.with(Transferable::Script(Arc::new(ScriptData { script: Remote::new(core, scope, script) }))))
      })
    }),
  )
}

pub fn heap_statistics(core: &Arc<IsolateCore>) -> Work {
  Work::Isolate(
    core.clone(),
    Box::new(|isolate| {
      let core = executor::entered()?;
      let stats = isolate.get_heap_statistics();
      core.memory.record_heap_used(stats.used_heap_size());
      // The near-heap-limit callback may have raised V8's limit to let a terminated script
      // unwind; report the limit the isolate was created with.
      let limit = core.initial_heap_limit();
      let raised_by = stats.heap_size_limit().saturating_sub(limit) as f64;
      let number = |n: usize| Transferable::Number(n as f64);
      Ok(Transferable::Record(vec![
        ("total_heap_size", number(stats.total_heap_size())),
        ("total_heap_size_executable", number(stats.total_heap_size_executable())),
        ("total_physical_size", number(stats.total_physical_size())),
        ("total_available_size", Transferable::Number(stats.total_available_size() as f64 - raised_by)),
        ("used_heap_size", number(stats.used_heap_size())),
        ("heap_size_limit", number(limit)),
        ("malloced_memory", number(stats.malloced_memory())),
        ("peak_malloced_memory", number(stats.peak_malloced_memory())),
        ("does_zap_garbage", number(stats.does_zap_garbage() as usize)),
        ("number_of_native_contexts", number(stats.number_of_native_contexts())),
        ("number_of_detached_contexts", number(stats.number_of_detached_contexts())),
        ("total_global_handles_size", number(stats.total_global_handles_size())),
        ("used_global_handles_size", number(stats.used_global_handles_size())),
        ("external_memory", number(stats.external_memory())),
        ("externally_allocated_size", number(core.memory.external_bytes())),
      ]))
    }),
  )
}
