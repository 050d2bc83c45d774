//! The binding functions the JavaScript facade (lib/facade/) is built on, shared by Node and
//! by isolate code. One file per public class; each function only reads its arguments, calls
//! the core in `ops`, and returns the result.

pub mod callback;
pub mod context;
pub mod external_copy;
pub mod forward;
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

/// Declares the parameters of a binding function once, in the order the facade passes them:
/// `parameters!(eval_at: context, mode, code)` makes a module `eval_at` with one constant per
/// parameter holding its position (`eval_at::code` is 2) and `NAMES`, the list
/// `binding.protocol()` gives the facade (test/protocol.test.js checks every facade call against
/// it). The names are the facade's, in camelCase.
macro_rules! parameters {
  ($module:ident: $($parameter:ident),* $(,)?) => {
    #[allow(non_upper_case_globals, dead_code)]
    pub mod $module {
      #[allow(non_camel_case_types)]
      enum Position { $($parameter),* }
      $(pub const $parameter: usize = Position::$parameter as usize;)*
      pub const NAMES: &[&str] = &[$(stringify!($parameter)),*];
    }
  };
}
pub(crate) use parameters;

/// A binding function: the name the facade calls it by, the function, and its parameters.
pub struct Binding {
  pub name: &'static str,
  pub function: BindingFn,
  pub parameters: &'static [&'static str],
}

macro_rules! bindings {
  ($($name:literal => $module:ident::$function:ident / $at:ident,)*) => {
    &[$(Binding { name: $name, function: $module::$function, parameters: $module::$at::NAMES }),*]
  };
}

/// Every binding function, by the name the facade calls it.
pub static FUNCTIONS: &[Binding] = bindings! {
  "isolateNew" => isolate::new / new_at,
  "isolateDispose" => isolate::dispose / dispose_at,
  "isolateIsDisposed" => isolate::is_disposed / is_disposed_at,
  "isolateCompileScript" => isolate::compile_script / compile_script_at,
  "isolateCreateContext" => isolate::create_context / create_context_at,
  "isolateGetHeapStatistics" => isolate::get_heap_statistics / get_heap_statistics_at,
  "isolateCpuTime" => isolate::cpu_time / time_at,
  "isolateWallTime" => isolate::wall_time / time_at,
  "isolateReferenceCount" => isolate::reference_count / reference_count_at,
  "contextGlobal" => context::global / global_at,
  "contextEval" => context::eval / eval_at,
  "contextEvalClosure" => context::eval_closure / eval_closure_at,
  "contextRelease" => context::release / release_at,
  "isolateCreateSnapshot" => isolate::create_snapshot / create_snapshot_at,
  "isolateCreateInspectorSession" => inspector::create_session / create_session_at,
  "isolateStartCpuProfiler" => inspector::start_cpu_profiler / start_cpu_profiler_at,
  "isolateStopCpuProfiler" => inspector::stop_cpu_profiler / stop_cpu_profiler_at,
  "sessionDispatch" => inspector::dispatch / dispatch_at,
  "sessionDispose" => inspector::dispose / session_at,
  "sessionCheck" => inspector::check / session_at,
  "isolateCompileModule" => module::compile / compile_at,
  "moduleDependencySpecifiers" => module::dependency_specifiers / module_at,
  "moduleId" => module::id / module_at,
  "moduleIsInstantiated" => module::is_instantiated / module_at,
  "moduleFilename" => module::filename / module_at,
  "moduleInstantiate" => module::instantiate / instantiate_at,
  "moduleEvaluate" => module::evaluate / evaluate_at,
  "moduleNamespace" => module::namespace / module_at,
  "moduleRelease" => module::release / module_at,
  "scriptRun" => script::run_script / run_at,
  "scriptRelease" => script::release / release_at,
  "referenceNew" => reference::new / new_at,
  "referenceTypeof" => reference::type_of / reference_at,
  "referenceDeref" => reference::deref / deref_at,
  "referenceDerefInto" => reference::deref_into / deref_at,
  "referenceRelease" => reference::release / reference_at,
  "referenceGet" => reference::get / get_at,
  "referenceSet" => reference::set / set_at,
  "referenceDelete" => reference::delete / delete_at,
  "referenceApply" => reference::apply / apply_at,
  "referenceCopy" => reference::copy / copy_at,
  "externalCopyNew" => external_copy::new / new_at,
  "externalCopyTotalSize" => external_copy::total_size / total_size_at,
  "externalCopyCopy" => external_copy::copy / copy_at,
  "externalCopyCopyInto" => external_copy::copy_into / copy_at,
  "externalCopyRelease" => external_copy::release / release_at,
  "callbackNew" => callback::new / new_at,
  "libNew" => lib::new / new_at,
  "libHrtime" => lib::hrtime / hrtime_at,
  "protocol" => protocol::protocol / protocol_at,
  "forwardRelease" => forward::release / release_at,
  "forwardCheckSync" => forward::check_sync / check_sync_at,
};

/// Binding functions of out-of-process isolates (lib/remote/), given to Node only: what the
/// facade calls is in `FUNCTIONS`.
pub static REMOTE_FUNCTIONS: &[Binding] = bindings! {
  "externalCopyExport" => external_copy::export / export_at,
  "externalCopyImport" => external_copy::import / import_at,
  "referenceIsHere" => reference::is_here / reference_at,
  "referenceInherits" => reference::inherits / reference_at,
  "forwardingEnable" => forward::enable / enable_at,
  "hrtimeOffset" => lib::offset / offset_at,
  "setHrtimeOffset" => lib::set_offset / set_offset_at,
};

/// Binding functions for the tests only, given to Node when the environment variable
/// `ISOLATED_VM_TEST_BINDINGS` is `1` at load time.
pub static TEST_FUNCTIONS: &[Binding] = bindings! {
  "isolateMemoryPeak" => isolate::memory_peak / memory_peak_at,
};

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

/// Where a binding function's parameters give a script's code and origin and, for a compile, its
/// code cache options.
pub struct SourceAt {
  pub code: usize,
  pub filename: usize,
  pub line_offset: usize,
  pub column_offset: usize,
  /// `cachedData` and `produceCachedData`.
  pub cache: Option<(usize, usize)>,
}

/// The `SourceAt` of a binding function whose `parameters!` module `$at` names `code, filename,
/// lineOffset, columnOffset` and, with `cache`, `cachedData, produceCachedData`.
macro_rules! source_at {
  ($at:ident) => {
    $crate::api::SourceAt {
      code: $at::code,
      filename: $at::filename,
      line_offset: $at::lineOffset,
      column_offset: $at::columnOffset,
      cache: None,
    }
  };
  ($at:ident, cache) => {
    $crate::api::SourceAt { cache: Some(($at::cachedData, $at::produceCachedData)), ..$crate::api::source_at!($at) }
  };
}
pub(crate) use source_at;

/// Reads a script's code, origin and code cache options from the parameters `at` names.
pub fn script_source(front: &mut dyn Front, at: SourceAt) -> Result<ScriptSource> {
  let (cached_data, produce_cached_data) = match at.cache {
    Some((data, produce)) => (GivenCache::from_sealed(cached_data(front, data)?), front.boolean(produce)?),
    None => (GivenCache::None, false),
  };
  let filename = if front.is_nullish(at.filename) { None } else { Some(front.string(at.filename)?) };
  let (line, column) = (front.number(at.line_offset)? as i32, front.number(at.column_offset)? as i32);
  let source = ScriptSource::new(front.string(at.code)?, filename, line, column);
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
