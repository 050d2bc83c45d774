//! Objects of out-of-process isolates (lib/remote/) given to our isolates. Node's object standing
//! for one (made by lib/remote/parent.js, a plain JavaScript object) crosses as a forwarder: the
//! host helper `forwardable` says which class it is of and gives the dispatcher that runs its
//! methods (lib/remote/forward.js). It is asked only once an out-of-process isolate was made
//! (`enable`), and only of objects that are not isolated-vm's own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::sys;

use super::{convert, copy, facade};
use crate::error::{Error, Result};
use crate::host::napi::{Napi, Value};
use crate::transfer::handle::{released_message, Handle, Kind, Releasable};
use crate::transfer::{ForwardData, Transferable};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// From now on, objects of out-of-process isolates cross as forwarders.
pub fn enable() {
  ENABLED.store(true, Ordering::Relaxed);
}

/// The native state of a Node value that crosses as an isolated-vm object: an instance of the
/// facade, or a forwarder's for an object of an out-of-process isolate; `None` for any other.
pub fn handle(napi: Napi, value: Value) -> Result<Option<Arc<Handle>>> {
  if let Some(handle) = facade::unwrap(napi, value)? {
    return Ok(Some(handle));
  }
  if !ENABLED.load(Ordering::Relaxed) || napi.type_of(value)? != sys::ValueType::napi_object {
    return Ok(None);
  }
  let forwardable = copy::host(napi, "forwardable")?;
  let found = napi.call(napi.undefined()?, forwardable, &[value])?;
  if napi.type_of(found)? != sys::ValueType::napi_object {
    return Ok(None);
  }
  let name = napi.get_string(napi.get_named(found, "kind")?)?;
  let kind = Kind::ALL.iter().find(|(class, _)| *class == name).map(|(_, kind)| *kind);
  let kind = kind.ok_or_else(|| Error::generic("isolated-vm: an unknown class of out-of-process objects"))?;
  let mut fields = Vec::new();
  let cached = napi.get_named(found, "cachedData")?;
  if let Some(copy) = facade::unwrap(napi, cached)? {
    fields.push(("cachedData", copy.transfer_out()?));
  }
  let rejected = napi.get_named(found, "cachedDataRejected")?;
  if napi.type_of(rejected)? == sys::ValueType::napi_boolean {
    fields.push(("cachedDataRejected", Transferable::Bool(napi.get_bool(rejected)?)));
  }
  let data = ForwardData {
    kind,
    target: convert::reference_to(napi, value, false)?,
    dispatch: convert::reference_to(napi, napi.get_named(found, "dispatch")?, false)?,
    fields,
  };
  Ok(Some(Arc::new(Handle::Forwarded { data: Releasable::new(Arc::new(data), released_message(kind)), kind })))
}
