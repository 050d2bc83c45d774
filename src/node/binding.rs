//! Module initialization: the binding object that lib/ builds the public API on.

use std::sync::Arc;
use std::time::Duration;

use napi::sys;

use crate::error::Result;
use crate::host::napi::native::{Args, Callback};
use crate::host::napi::{Napi, Value};
use crate::host::{NodeEnv, NodeRef};

/// A binding function that only exists in Node: it gets its first four arguments (missing
/// ones undefined).
type NodeOnly = fn(Napi, &[sys::napi_value; 4]) -> Result<sys::napi_value>;

const NODE_ONLY: &[(&str, NodeOnly)] = &[
  ("setup", setup),
  ("setupHost", setup_host),
  ("isHandle", is_handle),
  ("setV8Flags", set_v8_flags),
  ("setHrtimeBase", set_hrtime_base),
  ("channelRead", channel_read),
  ("channelWrite", channel_write),
  ("sandbox", sandbox),
];

/// Fills `exports` with the binding functions. Runs once per Node environment (the main thread
/// and each worker thread that loads the addon).
pub fn init(napi: Napi, exports: sys::napi_value) -> Result<()> {
  crate::bridge::convert::register(super::callback::function_for);
  crate::host::errors::register_binding_names(crate::api::FUNCTIONS.iter().map(|binding| binding.name).collect());
  NodeEnv::register(napi)?;
  let for_tests = std::env::var_os("ISOLATED_VM_TEST_BINDINGS").is_some_and(|value| value == "1");
  let test_functions = if for_tests { crate::api::TEST_FUNCTIONS } else { &[] };
  for binding in crate::api::FUNCTIONS.iter().chain(crate::api::REMOTE_FUNCTIONS).chain(test_functions) {
    let value = napi.function(binding.name, Arc::new(binding.function))?;
    napi.set_named(exports, binding.name, value)?;
  }
  for (name, function) in NODE_ONLY {
    let value = napi.function(name, Arc::new(*function))?;
    napi.set_named(exports, name, value)?;
  }
  Ok(())
}

impl Callback for NodeOnly {
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>> {
    let undefined = napi.undefined()?;
    let args = [0, 1, 2, 3].map(|index| args.get(index).unwrap_or(undefined));
    Ok(Some(self(napi, &args)?))
  }
}

/// `binding.setupHost(host)`: the copy helpers of lib/host.js.
fn setup_host(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let node_env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  node_env.state.lock().host = Some(NodeRef::new(napi, &node_env, args[0])?);
  napi.undefined()
}

/// `binding.isHandle(value)`: whether a value is an isolated-vm object.
fn is_handle(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  napi.boolean(crate::bridge::facade::unwrap(napi, args[0])?.is_some())
}

/// `binding.setup(factory, lib, facadeFile)`: the facade registers the function that creates
/// instances of its classes, the module object (so that `ivm` itself can be transferred), and its
/// file (whose frames are left out of stack traces).
fn setup(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let node_env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
  let factory = NodeRef::new(napi, &node_env, args[0])?;
  let lib = NodeRef::new(napi, &node_env, args[1])?;
  crate::bridge::facade::bind(napi, args[1], crate::transfer::handle::Handle::IvmModule)?;
  let facade_file = match napi.type_of(args[2])? {
    sys::ValueType::napi_string => Some(napi.get_string(args[2])?),
    _ => None,
  };
  let mut state = node_env.state.lock();
  state.factory = Some(factory);
  state.lib = Some(lib);
  state.facade_file = facade_file;
  napi.undefined()
}

/// `binding.setV8Flags(nodeFlags, explicitFlags)`: the V8 flags of Node's options and of
/// `ISOLATED_VM_V8_FLAGS` (arrays of strings), before the first isolate (see src/flags.rs).
/// Returns the warnings to give about flags not applied.
fn set_v8_flags(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let mut warnings = Vec::new();
  for (list, source) in [(args[0], crate::flags::Source::Node), (args[1], crate::flags::Source::Explicit)] {
    let mut flags = Vec::new();
    if napi.is_array(list)? {
      for index in 0..napi.array_len(list)? {
        flags.push(napi.get_string(napi.get_element(list, index)?)?);
      }
    }
    warnings.extend(crate::flags::request(&flags, source));
  }
  let array = napi.array(warnings.len())?;
  for (index, warning) in warnings.iter().enumerate() {
    napi.set_element(array, index as u32, napi.string_utf8(warning)?)?;
  }
  Ok(array)
}

/// `binding.setHrtimeBase(process.hrtime())`: what the host's clock reads now (see api::lib).
fn set_hrtime_base(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let seconds = napi.get_f64(napi.get_element(args[0], 0)?)?;
  let nanoseconds = napi.get_f64(napi.get_element(args[0], 1)?)?;
  crate::api::lib::set_hrtime_base(seconds, nanoseconds)?;
  napi.undefined()
}

/// `binding.channelRead(fd, buffer[, spinMicroseconds[, waitMilliseconds]])`: reads bytes of an
/// out-of-process isolate's channel into `buffer`, waiting for them, and gives the count, 0 once
/// the other side is gone, -1 if nothing came in the time given (see node::channel::read): a
/// spin of `spinMicroseconds` (at most 10 ms; by default as long as a synchronous call spins),
/// then a sleep of `waitMilliseconds` (by default: none after a spin given, else no limit).
fn channel_read(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let fd = napi.get_f64(args[0])? as i32;
  let spin = optional_number(napi, args[2])?;
  let wait = match (optional_number(napi, args[3])?, spin) {
    // Not `clamp`: NaN stays NaN, which `from_secs_f64` refuses with a panic.
    (Some(millis), _) => Duration::from_secs_f64(if millis > 0.0 { millis.min(1e9) / 1000.0 } else { 0.0 }),
    (None, Some(_)) => Duration::ZERO,
    (None, None) => Duration::MAX,
  };
  let spin = Duration::from_micros(spin.map_or(SYNC_SPIN_MICROS, |micros| micros.clamp(0.0, 10_000.0) as u64));
  let count = napi.with_buffer(args[1], |bytes| super::channel::read(fd, bytes, spin, wait))??;
  napi.number(count.map_or(-1.0, |count| count as f64))
}

/// The number `value` is, or None where it is not a number (undefined: not given).
fn optional_number(napi: Napi, value: sys::napi_value) -> Result<Option<f64>> {
  Ok(if napi.type_of(value)? == sys::ValueType::napi_number { Some(napi.get_f64(value)?) } else { None })
}

/// How long a synchronous call spins for its answer before it sleeps: most answers come sooner.
const SYNC_SPIN_MICROS: u64 = 100;

/// `binding.channelWrite(fd, buffer[, more])`: writes all of `buffer`, then all of `more`, to the
/// channel, and gives false (having written what it could) once the other side is gone. One call
/// writes a whole frame: JavaScript cannot stop between its parts (lib/remote/channel.js).
fn channel_write(napi: Napi, args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  let fd = napi.get_f64(args[0])? as i32;
  let mut written = napi.with_buffer(args[1], |bytes| super::channel::write(fd, bytes))?.is_ok();
  if written && napi.type_of(args[2])? != sys::ValueType::napi_undefined {
    written = napi.with_buffer(args[2], |bytes| super::channel::write(fd, bytes))?.is_ok();
  }
  napi.boolean(written)
}

/// `binding.sandbox()`: installs the child's system-call filter (see node::sandbox); returns the
/// names of the calls it lets through.
fn sandbox(napi: Napi, _args: &[sys::napi_value; 4]) -> Result<sys::napi_value> {
  super::sandbox::install()?;
  let array = napi.array(super::sandbox::ALLOWED.len())?;
  for (index, (name, _, _)) in super::sandbox::ALLOWED.iter().enumerate() {
    napi.set_element(array, index as u32, napi.string_utf8(name)?)?;
  }
  Ok(array)
}
