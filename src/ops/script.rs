//! `script.run*`.

use std::sync::Arc;
use std::time::Instant;

use super::context::in_context;
use super::{guard, Work};
use crate::error::{msg, Error, Result};
use crate::transfer::{v8conv, ContextData, ScriptData, TransferOptions, Transferable};

pub fn run(script: Arc<ScriptData>, context: Arc<ContextData>, timeout_ms: u32, transfer: TransferOptions) -> Result<Work> {
  if script.script.core.id != context.context.core.id {
    return Err(Error::generic(msg::INVALID_CONTEXT));
  }
  Ok(Work::Isolate(
    script.script.core.clone(),
    Box::new(move |isolate| {
      in_context(isolate, &context, |scope| {
        let bound = script.script.open(scope).bind_to_current_context(scope);
        let started = Instant::now();
        let result = guard::run_user_code(scope, timeout_ms, transfer.promise, |scope| bound.run(scope))?;
        let result = v8conv::from_v8(scope, result, transfer)?.unwrap_or(Transferable::Undefined);
        guard::limit_promise(&result, timeout_ms, started);
        Ok(result)
      })
    }),
  ))
}
