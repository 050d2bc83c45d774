//! The binding functions the JavaScript facade (lib/facade/) is built on, shared by Node and
//! by isolate code. One file per public class; each function only reads its arguments, calls
//! the core in `ops`, and returns the result.

pub mod callback;
pub mod context;
pub mod external_copy;
pub mod inspector;
pub mod isolate;
pub mod lib;
pub mod module;
pub mod protocol;
pub mod reference;
pub mod script;

use crate::ops::front::Front;

use crate::error::{Error, Result};
use crate::ops::sealed::GivenCache;
use crate::ops::source::ScriptSource;
use crate::ops::{dispatch, Mode, Work};

pub type BindingFn = fn(&mut dyn Front) -> Result<()>;

/// Every binding function, by the name the facade calls it.
pub static FUNCTIONS: &[(&str, BindingFn)] = &[
  ("isolateNew", isolate::new),
  ("isolateDispose", isolate::dispose),
  ("isolateIsDisposed", isolate::is_disposed),
  ("isolateCompileScript", isolate::compile_script),
  ("isolateCreateContext", isolate::create_context),
  ("isolateGetHeapStatistics", isolate::get_heap_statistics),
  ("isolateCpuTime", isolate::cpu_time),
  ("isolateWallTime", isolate::wall_time),
  ("isolateReferenceCount", isolate::reference_count),
  ("contextGlobal", context::global),
  ("contextEval", context::eval),
  ("contextEvalClosure", context::eval_closure),
  ("contextRelease", context::release),
  ("isolateCreateSnapshot", isolate::create_snapshot),
  ("isolateCreateInspectorSession", inspector::create_session),
  ("isolateStartCpuProfiler", inspector::start_cpu_profiler),
  ("isolateStopCpuProfiler", inspector::stop_cpu_profiler),
  ("sessionDispatch", inspector::dispatch),
  ("sessionDispose", inspector::dispose),
  ("sessionCheck", inspector::check),
  ("isolateCompileModule", module::compile),
  ("moduleDependencySpecifiers", module::dependency_specifiers),
  ("moduleId", module::id),
  ("moduleIsInstantiated", module::is_instantiated),
  ("moduleFilename", module::filename),
  ("moduleInstantiate", module::instantiate),
  ("moduleEvaluate", module::evaluate),
  ("moduleNamespace", module::namespace),
  ("moduleRelease", module::release),
  ("scriptRun", script::run_script),
  ("scriptRelease", script::release),
  ("referenceNew", reference::new),
  ("referenceTypeof", reference::type_of),
  ("referenceDeref", reference::deref),
  ("referenceDerefInto", reference::deref_into),
  ("referenceRelease", reference::release),
  ("referenceGet", reference::get),
  ("referenceSet", reference::set),
  ("referenceDelete", reference::delete),
  ("referenceApply", reference::apply),
  ("referenceCopy", reference::copy),
  ("externalCopyNew", external_copy::new),
  ("externalCopyTotalSize", external_copy::total_size),
  ("externalCopyCopy", external_copy::copy),
  ("externalCopyCopyInto", external_copy::copy_into),
  ("externalCopyRelease", external_copy::release),
  ("callbackNew", callback::new),
  ("libNew", lib::new),
  ("libHrtime", lib::hrtime),
  ("protocol", protocol::protocol),
];

/// Binding functions for the tests only, given to Node when the environment variable
/// `ISOLATED_VM_TEST_BINDINGS` is `1` at load time.
pub static TEST_FUNCTIONS: &[(&str, BindingFn)] = &[("isolateMemoryPeak", isolate::memory_peak)];

/// Runs an operation: `prepare` reads the arguments and builds the work (isolated-vm's phase
/// one). Errors found there reject the promise of an async call instead of being thrown.
pub fn run(front: &mut dyn Front, mode: Mode, prepare: impl FnOnce(&mut dyn Front) -> Result<Work>) -> Result<()> {
  match prepare(front) {
    Ok(work) => dispatch(front, mode, work),
    Err(error) if mode == Mode::Async => {
      front.ret_promise()?.settle(Err(error));
      Ok(())
    }
    Err(error) => Err(error),
  }
}

/// Reads the code at `code`, the script origin arguments `filename, lineOffset, columnOffset`
/// at `origin`, and (when given) the code cache arguments `cachedData, produceCachedData` at
/// `cache`.
pub fn script_source(front: &mut dyn Front, code: usize, origin: usize, cache: Option<usize>) -> Result<ScriptSource> {
  let (cached_data, produce_cached_data) = match cache {
    Some(index) => (GivenCache::from_sealed(cached_data(front, index)?), front.boolean(index + 1)?),
    None => (GivenCache::None, false),
  };
  let filename = if front.is_nullish(origin) { None } else { Some(front.string(origin)?) };
  let source = ScriptSource::new(front.string(code)?, filename, front.number(origin + 1)? as i32, front.number(origin + 2)? as i32);
  Ok(source.with_cache(cached_data, produce_cached_data))
}

/// `cachedData`: the bytes of an ExternalCopy of an ArrayBuffer.
fn cached_data(front: &mut dyn Front, index: usize) -> Result<Option<Vec<u8>>> {
  if front.is_nullish(index) {
    return Ok(None);
  }
  let bytes = array_buffer_copy(front, index).ok_or_else(|| Error::type_error("`cachedData` must be an ExternalCopy to ArrayBuffer"))?;
  Ok(Some(bytes))
}

/// The bytes of the ExternalCopy of an ArrayBuffer at `index`, if that is what it is (and it is
/// not released).
pub fn array_buffer_copy(front: &mut dyn Front, index: usize) -> Option<Vec<u8>> {
  let handle = front.try_handle(index).ok()??;
  let copy = handle.external_copy().ok()?.get().ok()?;
  copy.array_buffer_bytes()
}
