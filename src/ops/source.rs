//! Source code with its script origin, as every compile path takes it.

use crate::error::Result;
use crate::transfer::v8conv::{str_to_v8, string_to_v8};
use crate::transfer::Str;

const DEFAULT_FILENAME: &str = "<isolated-vm>";

pub struct ScriptSource {
  pub code: Str,
  pub filename: Option<Str>,
  pub line_offset: i32,
  pub column_offset: i32,
}

impl ScriptSource {
  /// The V8 source of this code; `is_module` for ES modules.
  pub fn compile_source(&self, scope: &mut v8::PinScope<'_, '_>, is_module: bool) -> Result<v8::script_compiler::Source> {
    let code = str_to_v8(scope, &self.code)?;
    let filename = match &self.filename {
      Some(name) => str_to_v8(scope, name)?,
      None => string_to_v8(scope, DEFAULT_FILENAME)?,
    };
    let origin = v8::ScriptOrigin::new(
      scope,
      filename.into(),
      self.line_offset,
      self.column_offset,
      false,
      -1,
      None,
      false,
      false,
      is_module,
      None,
    );
    Ok(v8::script_compiler::Source::new(code, Some(&origin)))
  }
}
