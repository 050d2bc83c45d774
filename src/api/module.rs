//! `Module`, and the linking steps the facade drives.

use crate::api::{run, script_source};
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::ops::{self, module, Mode};
use crate::transfer::{CallMode, TransferOptions, Transferable};

/// `isolateCompileModule(isolate, mode, code, filename, lineOffset, columnOffset, cachedData,
/// produceCachedData, meta)`: the module, with its cachedData results.
pub fn compile(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let core = front.handle(0)?.isolate()?.clone();
    let source = script_source(front, 2, 3, Some(6))?;
    let meta = if front.is_nullish(8) { None } else { Some(front.callback(8, CallMode::Sync)?) };
    module::compile(&core, source, meta)
  })
}

/// `moduleDependencySpecifiers(module)`
pub fn dependency_specifiers(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(0)?.module()?;
  let list = data.specifiers.iter().map(|s| Transferable::string(s)).collect();
  front.ret(Transferable::List(list))
}

/// `moduleId(module)`: a number identifying the module (its facades may be many).
pub fn id(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(0)?.module()?;
  front.ret(Transferable::Number(data.id as f64))
}

/// `moduleIsInstantiated(module)`
pub fn is_instantiated(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(0)?.module()?;
  front.ret(Transferable::Bool(data.is_instantiated()))
}

/// `moduleFilename(module)`: the file name it was compiled with, to name it in errors.
pub fn filename(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(0)?.module()?;
  front.ret(Transferable::string(&data.filename))
}

/// `moduleInstantiate(module, mode, context, importer, modules, links)`: `importer` is the
/// facade's `import()` handler for the resolver; `links` is what the resolver gave, as a flat
/// list of `referrer, specifier, dependency` where modules are indices into `modules`.
pub fn instantiate(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = front.handle(0)?.module()?;
    let context = front.handle(2)?.context()?;
    let importer = if front.is_nullish(3) { None } else { Some(front.callback(3, CallMode::Sync)?) };
    let modules = front.transferable_list(4, TransferOptions::NONE)?;
    let links = links(modules, front.transferable_list(5, TransferOptions::NONE)?)?;
    module::instantiate(data, context, importer, links)
  })
}

fn links(modules: Vec<Transferable>, list: Vec<Transferable>) -> Result<Vec<module::Link>> {
  let invalid = || Error::type_error("Invalid module links");
  let module = |index: Transferable| match index {
    Transferable::Number(index) => match modules.get(index as usize) {
      Some(Transferable::Module(data)) => Ok(data.clone()),
      _ => Err(invalid()),
    },
    _ => Err(invalid()),
  };
  let mut links = Vec::with_capacity(list.len() / 3);
  let mut items = list.into_iter();
  while let (Some(referrer), Some(Transferable::String(specifier)), Some(dependency)) = (items.next(), items.next(), items.next()) {
    links.push(module::Link { referrer: module(referrer)?, specifier: specifier.to_string_lossy(), dependency: module(dependency)? });
  }
  Ok(links)
}

/// `moduleEvaluate(module, mode, timeout)`
pub fn evaluate(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(1)?);
  run(front, mode, |front| {
    let data = front.handle(0)?.module()?;
    let timeout = front.number(2)? as u32;
    Ok(module::evaluate(data, timeout, mode == Mode::Async))
  })
}

/// `moduleNamespace(module)`
pub fn namespace(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(0)?.module()?;
  let work = module::namespace(&data)?;
  ops::dispatch(front, Mode::Sync, work)
}

/// `moduleRelease(module)`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(0)?.module_releasable()?.release();
  front.ret(Transferable::Undefined)
}
