//! `Script`.

use crate::api::{parameters, run};
use crate::error::Result;
use crate::ops::front::Front;
use crate::ops::{self, Mode};
use crate::transfer::{TransferOptions, Transferable};

parameters!(run_at: script, mode, context, release, timeout, transfer);
/// `scriptRun`
pub fn run_script(front: &mut dyn Front) -> Result<()> {
  use run_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let handle = front.handle(at::script)?;
    let releasable = handle.script()?;
    let script = releasable.get()?;
    let context = front.handle(at::context)?.context()?;
    let timeout = front.number(at::timeout)? as u32;
    let transfer = TransferOptions::from_bits(front.number(at::transfer)? as u32);
    let work = ops::script::run(script, context, timeout, transfer)?;
    if front.boolean(at::release)? {
      releasable.release();
    }
    Ok(work)
  })
}

parameters!(release_at: script);
/// `scriptRelease`
pub fn release(front: &mut dyn Front) -> Result<()> {
  let handle = front.handle(release_at::script)?;
  handle.script()?.release();
  front.ret(Transferable::Undefined)
}
