//! `Callback`.

use crate::api::parameters;
use crate::error::Result;
use crate::ops::front::Front;
use crate::transfer::handle::Handle;
use crate::transfer::CallMode;

parameters!(new_at: instance, function, mode);
/// `callbackNew`: `mode` is one of the callback modes of `binding.protocol()`.
pub fn new(front: &mut dyn Front) -> Result<()> {
  let mode = CallMode::from_number(front.number(new_at::mode)?);
  let data = front.callback(new_at::function, mode)?;
  front.bind(new_at::instance, Handle::Callback(data))
}
