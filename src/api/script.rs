//! `Script`.

use crate::api::run;
use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::{self, Mode};
use crate::transfer::{TransferOptions, Transferable};

/// `scriptRun(script, mode, context, release, timeout, transfer)`
pub fn run_script(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let handle = front.handle(0)?;
    let releasable = handle.script()?;
    let script = releasable.get()?;
    let context = front.handle(2)?.context()?;
    let timeout = front.number(4)? as u32;
    let transfer = TransferOptions::from_bits(front.number(5)? as u32);
    let work = ops::script::run(script, context, timeout, transfer)?;
    if front.boolean(3)? {
      releasable.release();
    }
    Ok(work)
  })
}

/// `scriptRelease(script)`
pub fn release(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(0)?;
  handle.script()?.release();
  front.ret(Transferable::Undefined)
}
