//! `Callback`.

use crate::error::Result;
use crate::ops::front::Front;
use crate::transfer::handle::Handle;
use crate::transfer::CallMode;

/// `callbackNew(instance, function, mode)` with mode 0 sync, 1 async, 2 ignored.
pub fn new(front: &mut dyn Front) -> Result<()> {
  let mode = match front.number(2)? as u32 {
    1 => CallMode::Async,
    2 => CallMode::Ignored,
    _ => CallMode::Sync,
  };
  let data = front.callback(1, mode)?;
  front.bind(0, Handle::Callback(data))
}
