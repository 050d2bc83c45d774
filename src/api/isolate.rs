//! `Isolate`.

use crate::api::{array_buffer_copy, parameters, run, script_source, source_at};
use crate::error::{msg, Error, Result};
use crate::isolate::{IsolateCore, IsolateOptions};
use crate::ops::front::Front;
use crate::ops::source::ScriptSource;
use crate::ops::{self, Mode, Realm};
use crate::transfer::buffer::Bytes;
use crate::transfer::copy::{CopyData, Payload};
use crate::transfer::handle::Handle;
use crate::transfer::{CallMode, TransferOptions, Transferable};

parameters!(new_at: instance, memoryLimit, inspector, onCatastrophicError, snapshot);
/// `isolateNew`
pub fn new(front: &mut dyn Front) -> Result<()> {
  use new_at as at;
  let memory_limit_mb = front.number(at::memoryLimit)?;
  let inspector = front.boolean(at::inspector)?;
  let on_catastrophic_error = if front.is_nullish(at::onCatastrophicError) {
    None
  } else {
    Some(ops::catastrophe::handler(front.callback(at::onCatastrophicError, CallMode::Ignored)?))
  };
  let snapshot = if front.is_nullish(at::snapshot) {
    None
  } else {
    let sealed =
      array_buffer_copy(front, at::snapshot).ok_or_else(|| Error::type_error("`snapshot` must be an ExternalCopy to ArrayBuffer"))?;
    Some(ops::snapshot::open(sealed)?)
  };
  let owner_env = match front.realm() {
    Realm::Node(env) => Some(env.id),
    Realm::Isolate(core) => core.owner_env,
  };
  let core = ops::isolate::new_isolate(IsolateOptions { memory_limit_mb, inspector, on_catastrophic_error, owner_env, snapshot })?;
  front.bind(at::instance, Handle::Isolate(core))
}

parameters!(create_snapshot_at: scripts, warmup, timeout, memoryLimit);
/// `isolateCreateSnapshot`: `scripts` is a flat list of `code, filename, lineOffset, columnOffset`.
/// Returns an ExternalCopy of the snapshot.
pub fn create_snapshot(front: &mut dyn Front) -> Result<()> {
  use create_snapshot_at as at;
  let mut scripts = Vec::new();
  let mut items = front.transferable_list(at::scripts, TransferOptions::NONE)?.into_iter();
  while let (Some(code), Some(filename), Some(line), Some(column)) = (items.next(), items.next(), items.next(), items.next()) {
    let (Transferable::String(code), Transferable::Number(line), Transferable::Number(column)) = (code, line, column) else {
      return Err(Error::type_error("`code` property is required"));
    };
    let filename = match filename {
      Transferable::String(filename) => Some(filename),
      _ => None,
    };
    scripts.push(ScriptSource::new(code, filename, line as i32, column as i32));
  }
  let warmup = if front.is_nullish(at::warmup) { None } else { Some(ScriptSource::new(front.string(at::warmup)?, None, 0, 0)) };
  let limits = ops::snapshot::Limits { timeout_ms: front.number(at::timeout)? as u32, memory_limit_mb: front.number(at::memoryLimit)? };
  let sealed = ops::snapshot::create(scripts, warmup, limits)?;
  let bytes = parking_lot::Mutex::new(Some(Bytes::Owned(sealed.into_boxed_slice())));
  front.ret(Transferable::ExternalCopy(CopyData::new(Payload::Buffer { bytes, view: None })))
}

parameters!(dispose_at: isolate);
/// `isolateDispose`
pub fn dispose(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(dispose_at::isolate)?;
  if !handle.isolate()?.dispose() {
    return Err(Error::generic(msg::ISOLATE_ALREADY_DISPOSED));
  }
  front.ret(Transferable::Undefined)
}

parameters!(is_disposed_at: isolate);
/// `isolateIsDisposed`
pub fn is_disposed(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(is_disposed_at::isolate)?;
  let disposed = handle.isolate()?.is_disposed();
  front.ret(Transferable::Bool(disposed))
}

parameters!(compile_script_at: isolate, mode, code, filename, lineOffset, columnOffset, cachedData, produceCachedData);
/// `isolateCompileScript`: the script, with its cachedData results.
pub fn compile_script(front: &mut dyn Front) -> Result<()> {
  use compile_script_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let handle = front.handle(at::isolate)?;
    let core = handle.isolate()?;
    let source = script_source(front, source_at!(at, cache))?;
    Ok(ops::isolate::compile_script(core, source))
  })
}

parameters!(create_context_at: isolate, mode, inspector);
/// `isolateCreateContext`
pub fn create_context(front: &mut dyn Front) -> Result<()> {
  use create_context_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let handle = front.handle(at::isolate)?;
    let core = handle.isolate()?;
    let inspector = front.boolean(at::inspector)?;
    if inspector && !core.inspector_enabled {
      return Err(Error::generic("Inspector is not enabled for this isolate"));
    }
    Ok(ops::isolate::create_context(core, inspector))
  })
}

parameters!(get_heap_statistics_at: isolate, mode);
/// `isolateGetHeapStatistics`
pub fn get_heap_statistics(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(get_heap_statistics_at::mode)?);
  run(front, mode, |front| {
    let handle = front.handle(get_heap_statistics_at::isolate)?;
    Ok(ops::isolate::heap_statistics(handle.isolate()?))
  })
}

parameters!(memory_peak_at: isolate);
/// `isolateMemoryPeak`: the most heap plus external memory the isolate was seen using, in bytes
/// (also after disposal). Not part of the public API: for tests and benchmarks.
pub fn memory_peak(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(memory_peak_at::isolate)?;
  front.ret(Transferable::Number(handle.isolate()?.memory.peak() as f64))
}

parameters!(time_at: isolate);
fn nanoseconds(front: &mut dyn Front, read: fn(&IsolateCore) -> u64) -> Result<()> {
  let handle = front.handle(time_at::isolate)?;
  let core = handle.isolate()?;
  core.check_alive()?;
  front.ret(Transferable::BigInt { negative: false, words: vec![read(core)] })
}

/// `isolateCpuTime`
pub fn cpu_time(front: &mut dyn Front) -> Result<()> {
  nanoseconds(front, IsolateCore::cpu_time_ns)
}

/// `isolateWallTime`
pub fn wall_time(front: &mut dyn Front) -> Result<()> {
  nanoseconds(front, IsolateCore::wall_time_ns)
}

parameters!(reference_count_at: isolate);
/// `isolateReferenceCount`
pub fn reference_count(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(reference_count_at::isolate)?;
  let core = handle.isolate()?;
  core.check_alive()?;
  front.ret(Transferable::Number(core.reference_count() as f64))
}
