//! `Module`, and the linking steps the facade drives.

use crate::api::{parameters, run, script_source, source_at};
use crate::error::{Error, Result};
use crate::ops::front::Front;
use crate::ops::{self, module, Mode};
use crate::transfer::{CallMode, TransferOptions, Transferable};

parameters!(compile_at: isolate, mode, code, filename, lineOffset, columnOffset, cachedData, produceCachedData, meta);
/// `isolateCompileModule`: the module, with its cachedData results.
pub fn compile(front: &mut dyn Front) -> Result<()> {
  use compile_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let core = front.handle(at::isolate)?.isolate()?.clone();
    let source = script_source(front, source_at!(at, cache))?;
    let meta = if front.is_nullish(at::meta) { None } else { Some(front.callback(at::meta, CallMode::Sync)?) };
    module::compile(&core, source, meta)
  })
}

parameters!(module_at: module);
/// `moduleDependencySpecifiers`
pub fn dependency_specifiers(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(module_at::module)?.module()?;
  let list = data.specifiers.iter().map(|s| Transferable::string(s)).collect();
  front.ret(Transferable::List(list))
}

/// `moduleId`: a number identifying the module (its facades may be many).
pub fn id(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(module_at::module)?.module()?;
  front.ret(Transferable::Number(data.id as f64))
}

/// `moduleIsInstantiated`
pub fn is_instantiated(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(module_at::module)?.module()?;
  front.ret(Transferable::Bool(data.is_instantiated()))
}

/// `moduleFilename`: the file name it was compiled with, to name it in errors.
pub fn filename(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(module_at::module)?.module()?;
  front.ret(Transferable::string(&data.filename))
}

parameters!(instantiate_at: module, mode, context, onImport, modules, links);
/// `moduleInstantiate`: `onImport` is the facade's `import()` handler for the resolver; `links` is
/// what the resolver gave, as a flat list of `referrer, specifier, dependency` where modules are
/// indices into `modules`.
pub fn instantiate(front: &mut dyn Front) -> Result<()> {
  use instantiate_at as at;
  let mode = Mode::from_number(front.number(at::mode)?);
  run(front, mode, |front| {
    let data = front.handle(at::module)?.module()?;
    let context = front.handle(at::context)?.context()?;
    let importer = if front.is_nullish(at::onImport) { None } else { Some(front.callback(at::onImport, CallMode::Sync)?) };
    let modules = front.transferable_list(at::modules, TransferOptions::NONE)?;
    let links = links(modules, front.transferable_list(at::links, TransferOptions::NONE)?)?;
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

parameters!(evaluate_at: module, mode, timeout);
/// `moduleEvaluate`
pub fn evaluate(front: &mut dyn Front) -> Result<()> {
  let mode = Mode::from_number(front.number(evaluate_at::mode)?);
  run(front, mode, |front| {
    let data = front.handle(evaluate_at::module)?.module()?;
    let timeout = front.number(evaluate_at::timeout)? as u32;
    Ok(module::evaluate(data, timeout, mode == Mode::Async))
  })
}

/// `moduleNamespace`
pub fn namespace(front: &mut dyn Front) -> Result<()> {
  let data = front.handle(module_at::module)?.module()?;
  let work = module::namespace(&data)?;
  ops::dispatch(front, Mode::Sync, work)
}

/// `moduleRelease`
pub fn release(front: &mut dyn Front) -> Result<()> {
  front.handle(module_at::module)?.module_releasable()?.release();
  front.ret(Transferable::Undefined)
}
