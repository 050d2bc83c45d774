//! `context.eval*` and `context.evalClosure*`.

use std::sync::Arc;
use std::time::Instant;

use super::guard::{self, CompileSite};
use super::source::ScriptSource;
use super::Work;
use crate::error::Result;
use crate::transfer::{v8conv, ContextData, TransferOptions, Transferable};

/// Runs `f` inside the context.
pub fn in_context<R>(
  isolate: &mut v8::Isolate,
  context: &ContextData,
  f: impl FnOnce(&mut v8::PinScope<'_, '_>) -> Result<R>,
) -> Result<R> {
  v8::scope!(let scope, isolate);
  let context = context.context.open(scope);
  let scope = &mut v8::ContextScope::new(scope, context);
  f(scope)
}

/// Compiles and runs a script; the result is its last value when transferable, else undefined.
pub fn eval(context: Arc<ContextData>, mut source: ScriptSource, timeout_ms: u32, transfer: TransferOptions) -> Work {
  Work::Isolate(
    context.context.core.clone(),
    Box::new(move |isolate| {
      in_context(isolate, &context, |scope| {
        let mut compiled = source.compile_source(scope, false, None)?;
        let script = guard::compile(scope, CompileSite::Own, |scope| {
          v8::script_compiler::compile(
            scope,
            &mut compiled,
            v8::script_compiler::CompileOptions::NoCompileOptions,
            v8::script_compiler::NoCacheReason::NoReason,
          )
        })?;
        let started = Instant::now();
        let result = guard::run_user_code(scope, timeout_ms, transfer.promise, |scope| script.run(scope))?;
        let result = v8conv::from_v8(scope, result, transfer)?.unwrap_or(Transferable::Undefined);
        guard::limit_promise(&result, timeout_ms, started);
        Ok(result)
      })
    }),
  )
}

/// Runs code as the body of a function whose arguments are `$0`, `$1`, ...; `return` works.
pub fn eval_closure(
  context: Arc<ContextData>,
  mut source: ScriptSource,
  arguments: Vec<Transferable>,
  timeout_ms: u32,
  transfer: TransferOptions,
) -> Work {
  Work::Isolate(
    context.context.core.clone(),
    Box::new(move |isolate| {
      in_context(isolate, &context, |scope| {
        let mut names = Vec::with_capacity(arguments.len());
        for index in 0..arguments.len() {
          names.push(v8conv::string_to_v8(scope, &format!("${index}"))?);
        }
        let mut compiled = source.compile_source(scope, false, None)?;
        let function = guard::compile(scope, CompileSite::Own, |scope| {
          v8::script_compiler::compile_function(
            scope,
            &mut compiled,
            &names,
            &[],
            v8::script_compiler::CompileOptions::NoCompileOptions,
            v8::script_compiler::NoCacheReason::NoReason,
          )
        })?;
        let mut argv = Vec::with_capacity(arguments.len());
        for argument in arguments {
          argv.push(v8conv::to_v8(scope, argument)?);
        }
        let receiver = scope.get_current_context().global(scope);
        let started = Instant::now();
        let result = guard::run_user_code(scope, timeout_ms, transfer.promise, |scope| function.call(scope, receiver.into(), &argv))?;
        let result = v8conv::transfer_out(scope, result, transfer)?;
        guard::limit_promise(&result, timeout_ms, started);
        Ok(result)
      })
    }),
  )
}
