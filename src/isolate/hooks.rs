//! Callbacks V8 calls on our isolates, and context creation.

use super::executor;

/// Creates a context. Code generation from strings (`eval`, `new Function`) goes through
/// `allow_code_generation`, which refuses sources too large for the isolate's memory limit.
pub fn new_context<'s>(scope: &mut v8::PinScope<'s, '_, ()>) -> v8::Local<'s, v8::Context> {
  let context = v8::Context::new(scope, Default::default());
  context.set_allow_generation_from_strings(false);
  context
}

/// `eval` and `new Function` are allowed, except for sources larger than an eighth of the
/// memory limit: compiling those could take the isolate far past its limit before any check.
pub fn allow_code_generation<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  source: v8::Local<'s, v8::Value>,
  _is_code_like: bool,
) -> v8::ModifyCodeGenerationFromStringsResult<'s> {
  let too_large = match (source.to_string(scope), executor::current()) {
    (Some(source), Some(core)) => source.length() > core.memory.limit / 8,
    _ => false,
  };
  v8::ModifyCodeGenerationFromStringsResult { codegen_allowed: !too_large, modified_source: None }
}

/// Keeps track of promises rejected with no handler: at the end of a task the first of them that
/// is still unhandled becomes the task's error, as in isolated-vm.
pub unsafe extern "C" fn promise_reject(message: v8::PromiseRejectMessage) {
  let _ = crate::error::catch_panic(|| {
    let Some(core) = executor::current() else { return Ok(()) };
    // SAFETY: V8 calls the promise reject callback from running code, on the isolate's thread
    // inside its scopes.
    v8::callback_scope!(unsafe scope, &message);
    let promise = message.get_promise();
    match message.get_event() {
      v8::PromiseRejectEvent::PromiseRejectWithNoHandler => {
        let global = v8::Global::new(scope, promise);
        core.locked.lock().unhandled_rejections.push(global);
      }
      v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject => {
        let global = v8::Global::new(scope, promise);
        core.locked.lock().unhandled_rejections.retain(|p| *p != global);
      }
      _ => {}
    }
    Ok(())
  });
}
