//! `Isolate`.

use crate::api::{array_buffer_copy, run, script_source};
use crate::error::{msg, Error, Result};
use crate::isolate::{IsolateCore, IsolateOptions};
use crate::ops::front::Front;
use crate::ops::source::ScriptSource;
use crate::ops::{self, Mode, Realm};
use crate::transfer::buffer::Bytes;
use crate::transfer::copy::{CopyData, Payload};
use crate::transfer::handle::Handle;
use crate::transfer::{CallMode, TransferOptions, Transferable};

/// `isolateNew(instance, memoryLimit, inspector, onCatastrophicError, snapshot)`
pub fn new(front: &mut dyn Front) -> Result<()> {
  let memory_limit_mb = front.number(1)?;
  let inspector = front.boolean(2)?;
  let on_catastrophic_error =
    if front.is_nullish(3) { None } else { Some(ops::catastrophe::handler(front.callback(3, CallMode::Ignored)?)) };
  let snapshot = if front.is_nullish(4) {
    None
  } else {
    let sealed = array_buffer_copy(front, 4).ok_or_else(|| Error::type_error("`snapshot` must be an ExternalCopy to ArrayBuffer"))?;
    Some(ops::snapshot::open(sealed)?)
  };
  let owner_env = match front.realm() {
    Realm::Node(env) => Some(env.id),
    Realm::Isolate(core) => core.owner_env,
  };
  let core = ops::isolate::new_isolate(IsolateOptions { memory_limit_mb, inspector, on_catastrophic_error, owner_env, snapshot })?;
  front.bind(0, Handle::Isolate(core))
}

/// `isolateCreateSnapshot(scripts, warmupScript, timeout, memoryLimit)`: `scripts` is a flat list
/// of `code, filename, lineOffset, columnOffset`. Returns an ExternalCopy of the snapshot.
pub fn create_snapshot(front: &mut dyn Front) -> Result<()> {
  let mut scripts = Vec::new();
  let mut items = front.transferable_list(0, TransferOptions::NONE)?.into_iter();
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
  let warmup = if front.is_nullish(1) { None } else { Some(ScriptSource::new(front.string(1)?, None, 0, 0)) };
  let limits = ops::snapshot::Limits { timeout_ms: front.number(2)? as u32, memory_limit_mb: front.number(3)? };
  let sealed = ops::snapshot::create(scripts, warmup, limits)?;
  let bytes = parking_lot::Mutex::new(Some(Bytes::Owned(sealed.into_boxed_slice())));
  front.ret(Transferable::ExternalCopy(CopyData::new(Payload::Buffer { bytes, view: None })))
}

/// `isolateDispose(isolate)`
pub fn dispose(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  if !handle.isolate()?.dispose() {
    return Err(Error::generic(msg::ISOLATE_ALREADY_DISPOSED));
  }
  front.ret(Transferable::Undefined)
}

/// `isolateIsDisposed(isolate)`
pub fn is_disposed(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  let disposed = handle.isolate()?.is_disposed();
  front.ret(Transferable::Bool(disposed))
}

/// `isolateCompileScript(isolate, mode, code, filename, lineOffset, columnOffset, cachedData,
/// produceCachedData)`: the script, with its cachedData results.
pub fn compile_script(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let handle = front.handle(0)?;
    let core = handle.isolate()?;
    let source = script_source(front, 2, 3, Some(6))?;
    Ok(ops::isolate::compile_script(core, source))
  })
}

/// `isolateCreateContext(isolate, mode, inspector)`
pub fn create_context(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let handle = front.handle(0)?;
    let core = handle.isolate()?;
    let inspector = front.boolean(2)?;
    if inspector && !core.inspector_enabled {
      return Err(Error::generic("Inspector is not enabled for this isolate"));
    }
    Ok(ops::isolate::create_context(core, inspector))
  })
}

/// `isolateGetHeapStatistics(isolate, mode)`
pub fn get_heap_statistics(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let handle = front.handle(0)?;
    Ok(ops::isolate::heap_statistics(handle.isolate()?))
  })
}

/// `isolateMemoryPeak(isolate)`: the most heap plus external memory the isolate was seen using,
/// in bytes (also after disposal). Not part of the public API: for tests and benchmarks.
pub fn memory_peak(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  front.ret(Transferable::Number(handle.isolate()?.memory.peak() as f64))
}

fn nanoseconds(front: &mut dyn Front, read: fn(&IsolateCore) -> u64) -> Result<()> {
  let handle = front.handle(0)?;
  let core = handle.isolate()?;
  core.check_alive()?;
  front.ret(Transferable::BigInt { negative: false, words: vec![read(core)] })
}

/// `isolateCpuTime(isolate)`
pub fn cpu_time(front: &mut dyn Front) -> Result<()> {
  nanoseconds(front, IsolateCore::cpu_time_ns)
}

/// `isolateWallTime(isolate)`
pub fn wall_time(front: &mut dyn Front) -> Result<()> {
  nanoseconds(front, IsolateCore::wall_time_ns)
}

/// `isolateReferenceCount(isolate)`
pub fn reference_count(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  let core = handle.isolate()?;
  core.check_alive()?;
  front.ret(Transferable::Number(core.reference_count() as f64))
}
