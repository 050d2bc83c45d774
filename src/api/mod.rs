//! The binding functions the JavaScript facade (lib/facade.js) is built on, shared by Node and
//! by isolate code. One file per public class; each function only reads its arguments, calls
//! the core in `ops`, and returns the result.

pub mod callback;
pub mod context;
pub mod external_copy;
pub mod front;
pub mod isolate;
pub mod reference;
pub mod script;

use front::Front;

use crate::error::Result;
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
];

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

/// Reads the script origin arguments `filename, lineOffset, columnOffset` at `index`.
pub fn script_source(front: &mut dyn Front, code: usize, origin: usize) -> Result<crate::ops::source::ScriptSource> {
  Ok(crate::ops::source::ScriptSource {
    code: front.string(code)?,
    filename: if front.is_nullish(origin) { None } else { Some(front.string(origin)?) },
    line_offset: front.number(origin + 1)? as i32,
    column_offset: front.number(origin + 2)? as i32,
  })
}
