//! Errors that cross boundaries.
//!
//! An error raised in one world (Node or one of our isolates) is carried as plain Rust data
//! (`Thrown`) and rebuilt in the world that receives it, keeping its type, message and stack.

use crate::value::Primitive;

/// The constructor an error is rebuilt with on the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
}

impl ErrorKind {
  /// Maps a constructor name to the kind used to rebuild it; other names become plain `Error`
  /// with the name kept separately (see `ErrorData::name`). EvalError and URIError are among
  /// those, as the original rebuilds them.
  pub fn from_constructor_name(name: &str) -> Option<ErrorKind> {
    Some(match name {
      "Error" => ErrorKind::Error,
      "TypeError" => ErrorKind::TypeError,
      "RangeError" => ErrorKind::RangeError,
      "ReferenceError" => ErrorKind::ReferenceError,
      "SyntaxError" => ErrorKind::SyntaxError,
      _ => return None,
    })
  }

  pub fn constructor_name(self) -> &'static str {
    match self {
      ErrorKind::Error => "Error",
      ErrorKind::TypeError => "TypeError",
      ErrorKind::RangeError => "RangeError",
      ErrorKind::ReferenceError => "ReferenceError",
      ErrorKind::SyntaxError => "SyntaxError",
    }
  }
}

/// An `Error` object, flattened.
#[derive(Clone, Debug)]
pub struct ErrorData {
  pub kind: ErrorKind,
  /// Set for errors whose constructor is not one of the standard ones (e.g. `class MyError`).
  pub name: Option<String>,
  pub message: String,
  /// The full `stack` string as the throwing side rendered it (first line included); empty
  /// for an error isolated-vm made on that side; `None` for one made where it is received.
  pub stack: Option<String>,
}

/// The line that marks, in a stack, where an error crossed from one world into another.
pub const BOUNDARY: &str = "\n    at (<isolated-vm boundary>)";

impl ErrorData {
  /// The first line(s) of the error's stack, "Name: message" as V8 writes it. The thrower's
  /// own is kept when it is a name and the message (the name may be a subclass's); a rewritten
  /// `stack` gets the standard one instead, as isolated-vm renders it.
  fn head(&self) -> String {
    if let (Some(stack), false) = (&self.stack, self.message.is_empty()) {
      let head = &stack[..stack.find("\n    at ").unwrap_or(stack.len())];
      if head.strip_suffix(&self.message).is_some_and(|name| name.ends_with(": ") && !name.contains('\n')) {
        return head.to_string();
      }
    }
    let name = self.name.as_deref().unwrap_or(self.kind.constructor_name());
    match (name.is_empty(), self.message.is_empty()) {
      (_, true) => name.to_string(),
      (true, false) => self.message.clone(),
      (false, false) => format!("{name}: {}", self.message),
    }
  }

  /// The frames of the error's stack: its lines from the first "    at " on, each after a
  /// newline ("" if it has none).
  fn frames(&self) -> String {
    let Some(stack) = &self.stack else { return String::new() };
    if stack.starts_with("    at ") {
      return format!("\n{stack}");
    }
    stack.find("\n    at ").map_or_else(String::new, |start| stack[start..].to_string())
  }

  /// The stack of this error as the receiving world shows it: the thrower's frames, innermost
  /// first, then where it crossed over, then `here`, the frames of the receiving side ("    at"
  /// lines, each after a newline). An error made by isolated-vm itself (without a stack) did
  /// not cross anything: it gets `here` only.
  pub fn crossing_stack(&self, here: &str) -> String {
    match &self.stack {
      None => format!("{}{here}", self.head()),
      Some(_) => format!("{}{}{BOUNDARY}{here}", self.head(), self.frames()),
    }
  }
}

/// Something thrown: an error object or a primitive value (`throw 1`; other objects become errors).
#[derive(Clone, Debug)]
pub enum Thrown {
  Error(ErrorData),
  Value(Primitive),
}

/// The error type of every operation. `Pending` means an exception is already pending in the
/// current JavaScript world (it was thrown by JavaScript code or by the engine) and must simply
/// be propagated.
#[derive(Debug)]
pub enum Error {
  Thrown(Thrown),
  Pending,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
  pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::Thrown(Thrown::Error(ErrorData { kind, name: None, message: message.into(), stack: None }))
  }
  pub fn generic(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Error, message)
  }
  pub fn type_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::TypeError, message)
  }
  pub fn range_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::RangeError, message)
  }
  /// The error for a binding function called on the wrong kind of object.
  pub fn illegal_invocation() -> Error {
    Error::type_error(msg::ILLEGAL_INVOCATION)
  }

  /// An error of work done in another world (an isolate), as the caller gets it: one made by
  /// isolated-vm there, which has no stack of its own, still shows where it crossed over.
  pub fn crossed(self) -> Error {
    match self {
      Error::Thrown(Thrown::Error(ErrorData { kind, name, message, stack: None })) => {
        Error::Thrown(Thrown::Error(ErrorData { kind, name, message, stack: Some(String::new()) }))
      }
      error => error,
    }
  }
}

/// Messages of the original isolated-vm that several places give, kept here so that their wording
/// stays exact everywhere. A message given by one place only stays next to the code giving it.
pub mod msg {
  pub const ISOLATE_DISPOSED: &str = "Isolate is disposed";
  pub const ISOLATED_DISPOSED: &str = "Isolated is disposed";
  pub const ISOLATE_ALREADY_DISPOSED: &str = "Isolate is already disposed";
  pub const DISPOSED_DURING_EXECUTION: &str = "Isolate was disposed during execution";
  pub const MEMORY_LIMIT: &str = "Isolate was disposed during execution due to memory limit";
  pub const TIMED_OUT: &str = "Script execution timed out.";
  pub const CONTEXT_RELEASED: &str = "Context is released";
  pub const SCRIPT_RELEASED: &str = "Script has been released";
  pub const MODULE_RELEASED: &str = "Module has been released";
  pub const REFERENCE_RELEASED: &str = "Reference has been released";
  pub const COPY_RELEASED: &str = "Copy has been released";
  pub const INVALID_CONTEXT: &str = "Invalid context";
  pub const NON_TRANSFERABLE: &str = "A non-transferable value was passed";
  pub const SYNC_FROM_ASYNC: &str =
    "Calling a synchronous isolated-vm function on a non-default isolate from within an asynchronous isolated-vm function is not allowed.";
  pub const NOT_FROM_DEFAULT_THREAD: &str = "This function may not be called from the default thread";
  pub const NOT_AN_ERROR: &str =
    "An object was thrown from supplied code within isolated-vm, but that object was not an instance of `Error`.";
  pub const ILLEGAL_INVOCATION: &str = "Illegal invocation";
  pub const ENVIRONMENT_GONE: &str = "The Node.js environment that owns this value has shut down";
  pub const FOREIGN_NODE_VALUE: &str = "isolated-vm internal error: a Node.js value was used outside its environment";
}

/// Runs `f`, turning a Rust panic into a JavaScript error so that it never unwinds into V8 or
/// Node (which would abort the process).
pub fn catch_panic<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
  match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
    Ok(result) => result,
    Err(payload) => {
      let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
      Err(Error::generic(format!("isolated-vm internal error: {detail}")))
    }
  }
}
