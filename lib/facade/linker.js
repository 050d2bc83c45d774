// Module, and its linker. Linking happens here, in the world of the resolver: the linker walks
// the graph from the module, asking the resolver for each dependency of each module not yet
// instantiated, and hands the answers to the binding, which instantiates the graph with them.
// Each instantiation has its own answers, so instantiations sharing modules can run at the same
// time.

function isModule(value) {
  return value !== null && typeof value === 'object' && getPrototypeOf(value) === Module.prototype;
}

// Names the import being resolved in an error about it.
function resolving(specifier, referrerModule) {
  return ` (resolving "${specifier}" from ${binding.moduleFilename(referrerModule)})`;
}

function notModule(specifier, referrer) {
  return new TypeErrorCtor(`Resolved dependency was not \`Module\`${resolving(specifier, referrer)}`);
}

// An error thrown by the resolver, with the import it was resolving added to its message (and
// to the first line of its stack) when it is an error object that allows it.
function resolverError(error, specifier, referrer) {
  if (error !== null && typeof error === 'object' && typeof error.message === 'string') {
    try {
      const message = error.message;
      const named = message + resolving(specifier, referrer);
      const stack = error.stack;
      error.message = named;
      const at = typeof stack === 'string' ? stringIndexOf(stack, message) : -1;
      if (at !== -1) {
        error.stack = stringSlice(stack, 0, at) + named + stringSlice(stack, at + message.length);
      }
    } catch {}
  }
  return error;
}

// Module ids by facade object (one module may have several facades), and the first facade
// seen of each module, so that resolvers get the Module objects they know as referrers (the
// referrer of an `import()` comes back from the isolate as a new facade).
const moduleIds = new WeakMapCtor();
const moduleFacades = new MapCtor();
function moduleId(module) {
  let id = weakMapGet(moduleIds, module);
  if (id === undefined) {
    id = binding.moduleId(module);
    weakMapSet(moduleIds, module, id);
    if (liveFacade(id) === undefined) {
      mapSet(moduleFacades, id, new WeakRefCtor(module));
      if (mapSize(moduleFacades) > 2 * prunedAt) {
        mapForEach(moduleFacades, pruneFacade);
        prunedAt = mapSize(moduleFacades);
      }
    }
  }
  return id;
}
let prunedAt = 64;

function liveFacade(id) {
  const facade = mapGet(moduleFacades, id);
  return facade === undefined ? undefined : weakRefDeref(facade);
}

function pruneFacade(facade, id) {
  if (weakRefDeref(facade) === undefined) {
    mapDelete(moduleFacades, id);
  }
}

function knownFacade(module) {
  return liveFacade(moduleId(module)) ?? module;
}

// A linker for one instantiation. `visit(module)` numbers the module and says whether its
// dependencies must be resolved (the first time it is seen, unless it is instantiated
// already); `add` records a resolution. `modules` and `links` are what the binding takes.
function newLinker() {
  const indices = new MapCtor();
  const modules = [];
  const links = [];
  return {
    modules,
    links,
    visit(module) {
      const id = moduleId(module);
      if (mapHas(indices, id)) {
        return false;
      }
      mapSet(indices, id, modules.length);
      modules[modules.length] = module;
      return !binding.moduleIsInstantiated(module);
    },
    add(referrer, specifier, dependency) {
      links[links.length] = mapGet(indices, moduleId(referrer));
      links[links.length] = specifier;
      links[links.length] = mapGet(indices, moduleId(dependency));
    },
  };
}

function resolveSync(resolver, specifier, referrer) {
  let dependency;
  try {
    dependency = resolver(specifier, referrer);
  } catch (error) {
    throw resolverError(error, specifier, referrer);
  }
  if (!isModule(dependency)) {
    throw notModule(specifier, referrer);
  }
  return dependency;
}

async function resolveAsync(resolver, specifier, referrer) {
  let dependency;
  try {
    dependency = await resolver(specifier, referrer);
  } catch (error) {
    throw resolverError(error, specifier, referrer);
  }
  if (!isModule(dependency)) {
    throw notModule(specifier, referrer);
  }
  return dependency;
}

// Depth first, in source order, as isolated-vm calls the resolver (with a stack of its own:
// chains of imports may be longer than the call stack allows).
function linkSync(root, resolver) {
  const linker = newLinker();
  const stack = [];
  const enter = (module) => {
    stack[stack.length] = { module, specifiers: binding.moduleDependencySpecifiers(module), next: 0 };
  };
  if (linker.visit(root)) {
    enter(root);
  }
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.specifiers.length) {
      stack.length--;
      continue;
    }
    const specifier = top.specifiers[top.next++];
    const dependency = resolveSync(resolver, specifier, top.module);
    const fresh = linker.visit(dependency);
    linker.add(top.module, specifier, dependency);
    if (fresh) {
      enter(dependency);
    }
  }
  return linker;
}

// Resolves the dependencies of a graph concurrently. Every branch settles before the result
// does, so nothing is still resolving once linking has failed; then the failure of the first
// failed branch, in source order, is thrown. A branch never rejects (no rejection is ever left
// unhandled while others settle): it keeps its failure in `failures`, wrapped (anything may be
// thrown, `undefined` too).
async function linkAsync(root, resolver) {
  const linker = newLinker();
  const link = async (module) => {
    const specifiers = binding.moduleDependencySpecifiers(module);
    const branches = [];
    const failures = [];
    for (let i = 0; i < specifiers.length; i++) {
      const specifier = specifiers[i];
      branches[i] = (async () => {
        try {
          const dependency = await resolveAsync(resolver, specifier, module);
          const fresh = linker.visit(dependency);
          linker.add(module, specifier, dependency);
          if (fresh) {
            await link(dependency);
          }
        } catch (error) {
          failures[i] = { error };
        }
      })();
    }
    for (let i = 0; i < branches.length; i++) {
      await branches[i];
    }
    for (let i = 0; i < branches.length; i++) {
      if (failures[i] !== undefined) {
        throw failures[i].error;
      }
    }
  };
  if (linker.visit(root)) {
    await link(root);
  }
  return linker;
}

// The handler of dynamic `import()` in modules instantiated with `resolver`: resolves the
// specifier, links and instantiates the imported module, and gives it to the binding, which
// evaluates it.
function importer(context, resolver) {
  return async (specifier, referrer) => {
    const module = await resolveAsync(resolver, specifier, knownFacade(referrer));
    const { modules, links } = await linkAsync(module, resolver);
    await binding.moduleInstantiate(module, ASYNC, context, undefined, modules, links);
    return module;
  };
}

function instantiate(module, mode, name, args) {
  checkCount(name, args, 2);
  const context = checkContext(name, 1, args[0]);
  const resolver = checkFunction(name, 2, args[1]);
  const onImport = importer(context, resolver);
  if (mode === SYNC) {
    const { modules, links } = linkSync(module, resolver);
    return binding.moduleInstantiate(module, SYNC, context, onImport, modules, links);
  }
  return (async () => {
    const { modules, links } = await linkAsync(module, resolver);
    // Awaited, not returned: the result would be resolved through the promise's `then`.
    return await binding.moduleInstantiate(module, ASYNC, context, onImport, modules, links);
  })();
}

function evaluateModule(module, mode, name, args) {
  const options = optionalObject(name, 1, args[0]);
  return binding.moduleEvaluate(module, mode, timeoutOption(options));
}

const Module = defineClass('Module', undefined, {
  get dependencySpecifiers() { return binding.moduleDependencySpecifiers(this); },
  get namespace() { return binding.moduleNamespace(this); },
  instantiate(context, resolveCallback) { return instantiate(this, ASYNC, 'instantiate', arguments); },
  instantiateSync(context, resolveCallback) { return instantiate(this, SYNC, 'instantiateSync', arguments); },
  evaluate(options) { return evaluateModule(this, ASYNC, 'evaluate', arguments); },
  evaluateSync(options) { return evaluateModule(this, SYNC, 'evaluateSync', arguments); },
  release() { binding.moduleRelease(this); },
}, undefined, true);
