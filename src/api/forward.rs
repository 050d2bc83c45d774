//! Forwarders: objects of out-of-process isolates inside our isolates (lib/facade/forward.js,
//! src/bridge/forward.rs).

use crate::api::parameters;
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::transfer::handle::Handle;
use crate::transfer::Transferable;

parameters!(release_at: forwarder);
/// `forwardRelease`: true if this call released this forwarder (its object is not released: in
/// one process too, releasing an instance releases only that instance).
pub fn release(front: &mut dyn Front) -> Result<()> {
  let released = match &*front.handle(release_at::forwarder)? {
    Handle::Forwarded { data, .. } => data.release().is_some(),
    _ => return Err(Error::illegal_invocation()),
  };
  front.ret(Transferable::Bool(released))
}

parameters!(check_sync_at:);
/// `forwardCheckSync`: a forwarder's synchronous call is refused where one to an in-process
/// isolate is, from isolate code running on a pool thread (the calls that give promises).
pub fn check_sync(front: &mut dyn Front) -> Result<()> {
  if crate::host::NodeEnv::current().is_none() {
    return Err(Error::generic(crate::error::msg::SYNC_FROM_ASYNC));
  }
  front.ret(Transferable::Undefined)
}

parameters!(enable_at:);
/// `forwardingEnable` (Node only): objects of out-of-process isolates cross as forwarders from now.
pub fn enable(front: &mut dyn Front) -> Result<()> {
  crate::bridge::forward::enable();
  front.ret(Transferable::Undefined)
}
