//! Source code with its script origin and code cache, as every compile path takes it.

use super::sealed::GivenCache;
use crate::error::{Error, Result};
use crate::transfer::copy::{CopyData, Payload};
use crate::transfer::v8conv::{str_to_v8, string_to_v8};
use crate::transfer::{buffer::Bytes, Str, Transferable};

const DEFAULT_FILENAME: &str = "<isolated-vm>";

pub struct ScriptSource {
  pub code: Str,
  pub filename: Option<Str>,
  pub line_offset: i32,
  pub column_offset: i32,
  /// `cachedData`: code cache from an earlier compile.
  pub cached_data: GivenCache,
  /// `produceCachedData`.
  pub produce_cached_data: bool,
  /// The code as a V8 string, once made: compiling again (see `ops::isolate::in_compile_context`)
  /// reuses it.
  v8_code: Option<v8::Global<v8::String>>,
}

/// What compiling says about the code cache: `cachedDataRejected` when cached data was given,
/// and `cachedData` when asked for (and the given data, if any, was not used).
#[derive(Default)]
pub struct CacheResult {
  pub rejected: Option<bool>,
  pub produced: Option<Vec<u8>>,
}

impl CacheResult {
  /// The compiled object, with `cachedData` and `cachedDataRejected` properties when set.
  pub fn with(self, compiled: Transferable) -> Transferable {
    let mut fields = Vec::new();
    if let Some(bytes) = self.produced {
      let bytes = parking_lot::Mutex::new(Some(Bytes::Owned(bytes.into_boxed_slice())));
      fields.push(("cachedData", Transferable::ExternalCopy(CopyData::new(Payload::Buffer { bytes, view: None }))));
    }
    if let Some(rejected) = self.rejected {
      fields.push(("cachedDataRejected", Transferable::Bool(rejected)));
    }
    if fields.is_empty() {
      compiled
    } else {
      Transferable::Extended(Box::new(compiled), fields)
    }
  }
}

/// Code from this size on is given to V8 as an external string: V8 compiles it where it is
/// instead of copying it into fresh pages of its heap, which for big sources costs about as much
/// as consuming a code cache.
const EXTERNAL_CODE_SIZE: usize = 32 * 1024;

fn code_to_v8<'s>(scope: &v8::PinScope<'s, '_, ()>, code: Str) -> Result<v8::Local<'s, v8::String>> {
  let external = match code {
    Str::Latin1(bytes) if bytes.len() >= EXTERNAL_CODE_SIZE => v8::String::new_external_onebyte(scope, bytes.into_boxed_slice()),
    Str::Utf16(units) if units.len() >= EXTERNAL_CODE_SIZE => v8::String::new_external_twobyte(scope, units.into_boxed_slice()),
    small => return str_to_v8(scope, &small),
  };
  external.ok_or_else(|| Error::range_error("Invalid string length"))
}

impl ScriptSource {
  /// Code with its origin, and no code cache.
  pub fn new(code: Str, filename: Option<Str>, line_offset: i32, column_offset: i32) -> ScriptSource {
    ScriptSource { code, filename, line_offset, column_offset, cached_data: GivenCache::None, produce_cached_data: false, v8_code: None }
  }

  /// The same code with a code cache to consume, or asking for one.
  pub fn with_cache(self, cached_data: GivenCache, produce_cached_data: bool) -> ScriptSource {
    ScriptSource { cached_data, produce_cached_data, ..self }
  }

  /// Keeps the code as a V8 string, so that it can be compiled more than once.
  pub fn retain_code(&mut self, scope: &mut v8::PinScope<'_, '_>) -> Result<()> {
    if self.v8_code.is_none() {
      let code = self.take_code(scope)?;
      self.v8_code = Some(v8::Global::new(scope, code));
    }
    Ok(())
  }

  fn take_code<'s>(&mut self, scope: &v8::PinScope<'s, '_, ()>) -> Result<v8::Local<'s, v8::String>> {
    code_to_v8(scope, std::mem::replace(&mut self.code, Str::Latin1(Vec::new())))
  }

  /// The V8 source of this code (which it takes, unless retained); `host_options` identify a
  /// module for dynamic `import()`.
  pub fn compile_source(
    &mut self,
    scope: &mut v8::PinScope<'_, '_>,
    is_module: bool,
    host_options: Option<v8::Local<v8::Data>>,
  ) -> Result<v8::script_compiler::Source> {
    let code = match &self.v8_code {
      Some(code) => v8::Local::new(scope, code),
      None => self.take_code(scope)?,
    };
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
      host_options,
    );
    Ok(match self.cached_data.payload() {
      Some(data) => {
        let cached = v8::script_compiler::CachedData::new(data);
        v8::script_compiler::Source::new_with_cached_data(code, Some(&origin), cached)
      }
      None => v8::script_compiler::Source::new(code, Some(&origin)),
    })
  }

  /// The file name errors and stack traces show.
  pub fn filename(&self) -> String {
    self.filename.as_ref().map_or_else(|| DEFAULT_FILENAME.to_string(), Str::to_string_lossy)
  }

  pub fn compile_options(&self) -> v8::script_compiler::CompileOptions {
    if let GivenCache::Valid(_) = self.cached_data {
      v8::script_compiler::CompileOptions::ConsumeCodeCache
    } else {
      v8::script_compiler::CompileOptions::NoCompileOptions
    }
  }

  /// After compiling `source`: whether its cached data was rejected, and a new code cache from
  /// `produce` (sealed by `sealed::seal`) when one is wanted (asked for, and no accepted
  /// cached data was given).
  pub fn cache_result(&self, source: &v8::script_compiler::Source, produce: impl FnOnce() -> Option<Vec<u8>>) -> CacheResult {
    let rejected = match self.cached_data {
      GivenCache::None => None,
      GivenCache::Invalid => Some(true),
      GivenCache::Valid(_) => Some(source.get_cached_data().is_none_or(|data| data.rejected())),
    };
    let wanted = self.produce_cached_data && rejected != Some(false);
    let produced = if wanted { produce() } else { None };
    CacheResult { rejected, produced }
  }
}
