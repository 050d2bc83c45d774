'use strict';
// The public API of isolated-vm, built over a native binding.
//
// This file runs in two worlds: in Node (lib/index.js passes it the Node-API binding) and inside
// isolates that receive the module or one of its objects (the addon passes it a binding made of
// V8 functions with the same names and signatures). So it must not use `require` or anything
// Node-specific, and it captures every built-in it uses up front.
//
// Options (Node only): `facadeFile`, this file's path, lets the binding leave the facade's own
// frames out of the stack traces it builds; `prototypes`, a Set, receives the prototypes of the
// classes, by which copies recognize isolated-vm objects in values (see lib/host.js).
//
// The facade validates arguments with isolated-vm's messages and passes them to the binding as
// plain positional values; the binding does the work. Instances carry a native handle, attached
// by the binding, that cannot be forged from JavaScript.

module.exports = function createIsolatedVm(binding, options = {}) {
  const { defineProperty, freeze, getPrototypeOf, setPrototypeOf } = Object;
  // Instances of every class are built on a base: inside isolates the binding's, which gives them
  // the internal field holding their native state; in Node a plain class.
  const Base = binding.Base ?? class {};
  // Marks an internal construction (by the binding's factory): no public initialization.
  const INTERNAL = Symbol('internal');
  const isArray = Array.isArray;
  const MapCtor = Map;
  const WeakRefCtor = WeakRef;
  const PromiseCtor = Promise;
  const isInteger = Number.isInteger;
  const WeakMapCtor = WeakMap;
  const TypeErrorCtor = TypeError;
  const ErrorCtor = Error;

  const SYNC = 0;
  const ASYNC = 1;
  const IGNORED = 2;
  const SYNC_PROMISE = 3;

  // Transfer option bits, as the binding reads them.
  const COPY = 1;
  const EXTERNAL_COPY = 2;
  const REFERENCE = 4;
  const PROMISE = 8;

  // --- Argument checks, with isolated-vm's wording --------------------------------------------

  function requiresAtLeast(name, count) {
    return new TypeErrorCtor(`\`${name}\` requires at least ${count} ${count === 1 ? 'parameter' : 'parameters'}`);
  }

  function requiresParameter(name, index, what) {
    return new TypeErrorCtor(`\`${name}\` requires parameter ${index} to be ${what}`);
  }

  function checkCount(name, args, count) {
    if (args.length < count) {
      throw requiresAtLeast(name, count);
    }
  }

  function checkString(name, index, value) {
    if (typeof value !== 'string') {
      throw requiresParameter(name, index, 'a string');
    }
    return value;
  }

  function checkFunction(name, index, value) {
    if (typeof value !== 'function') {
      throw requiresParameter(name, index, 'a function');
    }
    return value;
  }

  function optionalObject(name, index, value) {
    if (value === undefined || value === null) {
      return undefined;
    }
    if ((typeof value !== 'object' && typeof value !== 'function')) {
      throw requiresParameter(name, index, 'an object');
    }
    return value;
  }

  function optionalArray(name, index, value) {
    if (value === undefined || value === null) {
      return undefined;
    }
    if (!isArray(value)) {
      throw requiresParameter(name, index, 'an array');
    }
    return value;
  }

  // Options are read strictly: a present value of the wrong type is an error.
  function option(options, key) {
    if (options === undefined) {
      return undefined;
    }
    const value = options[key];
    return value === null ? undefined : value;
  }

  function boolOption(options, key, fallback) {
    const value = option(options, key);
    if (value === undefined) {
      return fallback;
    }
    if (typeof value !== 'boolean') {
      throw new TypeErrorCtor(`\`${key}\` must be a boolean`);
    }
    return value;
  }

  function int32Option(options, key, fallback) {
    const value = option(options, key);
    if (value === undefined) {
      return fallback;
    }
    if (!isInteger(value) || value < -2147483648 || value > 2147483647) {
      throw new TypeErrorCtor(`\`${key}\` must be a 32-bit number`);
    }
    return value;
  }

  function numberOption(options, key, fallback) {
    const value = option(options, key);
    if (value === undefined) {
      return fallback;
    }
    if (typeof value !== 'number') {
      throw new TypeErrorCtor(`\`${key}\` must be a number`);
    }
    return value;
  }

  function stringOption(options, key) {
    const value = option(options, key);
    if (value !== undefined && typeof value !== 'string') {
      throw new TypeErrorCtor(`\`${key}\` must be a string`);
    }
    return value;
  }

  function objectOption(options, key) {
    const value = option(options, key);
    if (value !== undefined && typeof value !== 'object' && typeof value !== 'function') {
      throw new TypeErrorCtor(`\`${key}\` must be an object`);
    }
    return value;
  }

  function functionOption(options, key) {
    const value = option(options, key);
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeErrorCtor(`\`${key}\` must be a function`);
    }
    return value;
  }

  function timeoutOption(options) {
    const timeout = int32Option(options, 'timeout', 0);
    return timeout > 0 ? timeout : 0;
  }

  // TransferOptions: `copy`, `externalCopy`, `reference` (at most one) and `promise`.
  function transferBits(options) {
    const copy = boolOption(options, 'copy', false);
    const externalCopy = boolOption(options, 'externalCopy', false);
    const reference = boolOption(options, 'reference', false);
    if (copy + externalCopy + reference > 1) {
      throw new TypeErrorCtor('Only one of `copy`, `externalCopy`, or `reference` may be set');
    }
    const promise = boolOption(options, 'promise', false);
    return (copy ? COPY : 0) | (externalCopy ? EXTERNAL_COPY : 0) | (reference ? REFERENCE : 0) | (promise ? PROMISE : 0);
  }

  // ScriptOrigin: `filename`, `lineOffset`, `columnOffset`.
  function origin(options) {
    return [stringOption(options, 'filename'), int32Option(options, 'lineOffset', 0), int32Option(options, 'columnOffset', 0)];
  }

  // --- Classes ----------------------------------------------------------------------------------

  // For each class, a function making an instance without public initialization.
  const instantiators = new Map();

  // Defines a class the way isolated-vm's native classes behave: the constructor must be called
  // with `new` (or cannot be called at all), prototypes are frozen, and so are instances, except
  // those of an `extensible` class (compiled code, which gets `cachedData` properties).
  //
  // The public constructor is a function (for isolated-vm's messages); instances come from an
  // internal class sharing its prototype (constructing a class is much faster than
  // `Reflect.construct`). The prototype chain skips the base: instances are plain to users.
  function defineClass(name, construct, members, statics, extensible = false) {
    const Impl = class extends Base {
      constructor(args) {
        super();
        if (args !== INTERNAL) {
          construct(this, args);
        }
        if (!extensible) {
          freeze(this);
        }
      }
    };
    const ctor = {
      [name]: function (...args) {
        if (new.target === undefined) {
          throw new TypeErrorCtor(`\`${name}\` must be called with \`new\``);
        }
        if (construct === undefined) {
          throw new TypeErrorCtor('Illegal constructor');
        }
        return new Impl(args);
      },
    }[name];
    defineProperty(ctor, 'length', { value: construct === undefined ? 0 : construct.length });
    const prototype = Impl.prototype;
    setPrototypeOf(prototype, Object.prototype);
    defineProperty(prototype, 'constructor', { value: ctor, writable: true, configurable: true });
    ctor.prototype = prototype;
    instantiators.set(ctor, () => new Impl(INTERNAL));
    for (const key of Object.keys(members)) {
      const descriptor = Object.getOwnPropertyDescriptor(members, key);
      descriptor.enumerable = false;
      defineProperty(prototype, key, descriptor);
    }
    if (statics !== undefined) {
      for (const key of Object.keys(statics)) {
        const descriptor = Object.getOwnPropertyDescriptor(statics, key);
        descriptor.enumerable = false;
        defineProperty(ctor, key, descriptor);
      }
    }
    freeze(prototype);
    freeze(ctor);
    return ctor;
  }

  // --- Isolate ----------------------------------------------------------------------------------

  // CachedDataOptions: `cachedData` (checked by the binding) and `produceCachedData`.
  function cacheOptions(options) {
    return [option(options, 'cachedData'), boolOption(options, 'produceCachedData', false)];
  }

  function compileScript(isolate, mode, name, args) {
    checkCount(name, args, 1);
    const code = checkString(name, 1, args[0]);
    const options = optionalObject(name, 2, args[1]);
    return binding.isolateCompileScript(isolate, mode, code, ...origin(options), ...cacheOptions(options));
  }

  function compileModule(isolate, mode, name, args) {
    checkCount(name, args, 1);
    const code = checkString(name, 1, args[0]);
    const options = optionalObject(name, 2, args[1]);
    const meta = functionOption(options, 'meta');
    const compiled = binding.isolateCompileModule(isolate, mode, code, ...origin(options), ...cacheOptions(options), meta);
    if (mode === SYNC) {
      moduleId(compiled);
      return compiled;
    }
    return (async () => {
      const module = await compiled;
      moduleId(module);
      return module;
    })();
  }

  function createContext(isolate, mode, name, args) {
    const options = optionalObject(name, 1, args[0]);
    return binding.isolateCreateContext(isolate, mode, boolOption(options, 'inspector', false));
  }

  const Isolate = defineClass('Isolate', function (instance, args) {
    const options = optionalObject('Isolate', 1, args[0]);
    const memoryLimit = numberOption(options, 'memoryLimit', 128);
    if (memoryLimit < 8) {
      throw new ErrorCtor('`memoryLimit` must be at least 8');
    }
    const inspector = boolOption(options, 'inspector', false);
    const onCatastrophicError = functionOption(options, 'onCatastrophicError');
    const snapshot = option(options, 'snapshot');
    binding.isolateNew(instance, memoryLimit, inspector, onCatastrophicError, snapshot);
  }, {
    get cpuTime() { return binding.isolateCpuTime(this); },
    get wallTime() { return binding.isolateWallTime(this); },
    get isDisposed() { return binding.isolateIsDisposed(this); },
    get referenceCount() { return binding.isolateReferenceCount(this); },
    compileModule(code, options) { return compileModule(this, ASYNC, 'compileModule', arguments); },
    compileModuleSync(code, options) { return compileModule(this, SYNC, 'compileModuleSync', arguments); },
    compileScript(code, options) { return compileScript(this, ASYNC, 'compileScript', arguments); },
    compileScriptSync(code, options) { return compileScript(this, SYNC, 'compileScriptSync', arguments); },
    createContext(options) { return createContext(this, ASYNC, 'createContext', arguments); },
    createContextSync(options) { return createContext(this, SYNC, 'createContextSync', arguments); },
    createInspectorSession() { return createInspectorSession(this); },
    dispose() { binding.isolateDispose(this); },
    getHeapStatistics() { return binding.isolateGetHeapStatistics(this, ASYNC); },
    getHeapStatisticsSync() { return binding.isolateGetHeapStatistics(this, SYNC); },
    startCpuProfiler(title) {
      checkCount('startCpuProfiler', arguments, 1);
      binding.isolateStartCpuProfiler(this, checkString('startCpuProfiler', 1, title));
    },
    stopCpuProfiler(title) {
      checkCount('stopCpuProfiler', arguments, 1);
      return stopCpuProfiler(this, checkString('stopCpuProfiler', 1, title));
    },
  }, {
    createSnapshot(scripts, warmupScript, options) { return createSnapshot(arguments); },
  });

  // Isolate.createSnapshot(scripts, warmupScript, options): `options` (an addition of this
  // implementation) bounds the scripts: `timeout` in ms (default 5000, 0 for none) and
  // `memoryLimit` in MB (default 128).
  function createSnapshot(args) {
    checkCount('createSnapshot', args, 1);
    const scripts = optionalArray('createSnapshot', 1, args[0]);
    if (scripts === undefined) {
      throw requiresParameter('createSnapshot', 1, 'an array');
    }
    const warmup = args[1] === undefined || args[1] === null ? undefined : checkString('createSnapshot', 2, args[1]);
    const options = optionalObject('createSnapshot', 3, args[2]);
    const flat = [];
    for (const script of scripts) {
      if (script === null || typeof script !== 'object' || typeof script.code !== 'string') {
        throw new TypeErrorCtor('`code` property is required');
      }
      flat.push(script.code, ...origin(script));
    }
    const timeout = int32Option(options, 'timeout', 5000);
    const memoryLimit = numberOption(options, 'memoryLimit', 128);
    if (memoryLimit < 8) {
      throw new ErrorCtor('`memoryLimit` must be at least 8');
    }
    return binding.isolateCreateSnapshot(flat, warmup, timeout > 0 ? timeout : 0, memoryLimit);
  }

  // ThreadCpuProfile[]: the binding gives the thread and the inspector's `Profiler.stop` answer.
  async function stopCpuProfiler(isolate, title) {
    const stopped = await binding.isolateStopCpuProfiler(isolate, ASYNC, title);
    if (stopped.length === 0) {
      return [];
    }
    const [threadId, response] = stopped;
    const profile = JSON.parse(response).result.profile;
    // The documented CpuProfile has numeric script ids (the protocol's are strings).
    for (const node of profile.nodes) {
      node.callFrame.scriptId = Number(node.callFrame.scriptId);
    }
    return [{ threadId, profile }];
  }

  // --- Inspector sessions ----------------------------------------------------------------------

  // The handlers of each session, which the binding reaches through `deliver`.
  const sessionHandlers = new WeakMapCtor();

  function createInspectorSession(isolate) {
    const handlers = { onNotification: undefined, onResponse: undefined };
    const deliver = (isResponse, callId, message) => {
      const handler = isResponse ? handlers.onResponse : handlers.onNotification;
      if (typeof handler === 'function') {
        if (isResponse) {
          handler(callId, message);
        } else {
          handler(message);
        }
      }
    };
    const session = binding.isolateCreateInspectorSession(isolate, deliver);
    sessionHandlers.set(session, handlers);
    return session;
  }

  function sessionHandler(session, key) {
    binding.sessionCheck(session);
    return sessionHandlers.get(session)[key];
  }

  function setSessionHandler(session, key, value) {
    binding.sessionCheck(session);
    if (typeof value !== 'function') {
      throw new TypeErrorCtor(`\`${key}\` must be a function`);
    }
    sessionHandlers.get(session)[key] = value;
  }

  const Session = defineClass('Session', undefined, {
    dispatchProtocolMessage(message) {
      checkCount('dispatchProtocolMessage', arguments, 1);
      binding.sessionDispatch(this, checkString('dispatchProtocolMessage', 1, message));
    },
    dispose() { binding.sessionDispose(this); },
    get onNotification() { return sessionHandler(this, 'onNotification'); },
    set onNotification(value) { setSessionHandler(this, 'onNotification', value); },
    get onResponse() { return sessionHandler(this, 'onResponse'); },
    set onResponse(value) { setSessionHandler(this, 'onResponse', value); },
  });

  // --- Context ----------------------------------------------------------------------------------

  // `context.global` is created once per Context instance.
  const globals = new WeakMapCtor();

  function evaluate(context, mode, name, args) {
    checkCount(name, args, 1);
    const code = checkString(name, 1, args[0]);
    const options = optionalObject(name, 2, args[1]);
    return binding.contextEval(context, mode, code, timeoutOption(options), ...origin(options), transferBits(options));
  }

  function evaluateClosure(context, mode, name, args) {
    checkCount(name, args, 1);
    const code = checkString(name, 1, args[0]);
    const closureArguments = optionalArray(name, 2, args[1]);
    const options = optionalObject(name, 3, args[2]);
    const argumentsBits = transferBits(objectOption(options, 'arguments'));
    const resultBits = transferBits(objectOption(options, 'result'));
    return binding.contextEvalClosure(context, mode, code, closureArguments, timeoutOption(options), ...origin(options), argumentsBits, resultBits);
  }

  const Context = defineClass('Context', undefined, {
    get global() {
      let global = globals.get(this);
      if (global === undefined) {
        global = binding.contextGlobal(this);
        if (global !== undefined) {
          globals.set(this, global);
        }
      }
      return global;
    },
    eval(code, options) { return evaluate(this, ASYNC, 'eval', arguments); },
    evalIgnored(code, options) { evaluate(this, IGNORED, 'evalIgnored', arguments); },
    evalSync(code, options) { return evaluate(this, SYNC, 'evalSync', arguments); },
    evalClosure(code, args, options) { return evaluateClosure(this, ASYNC, 'evalClosure', arguments); },
    evalClosureIgnored(code, args, options) { evaluateClosure(this, IGNORED, 'evalClosureIgnored', arguments); },
    evalClosureSync(code, args, options) { return evaluateClosure(this, SYNC, 'evalClosureSync', arguments); },
    release() {
      const released = binding.contextRelease(this);
      const global = globals.get(this);
      if (released && global !== undefined) {
        globals.delete(this);
        binding.referenceRelease(global);
      }
      return released;
    },
  });

  // --- Script -----------------------------------------------------------------------------------

  function checkContext(name, index, value) {
    if (value === null || typeof value !== 'object' || getPrototypeOf(value) !== Context.prototype) {
      throw requiresParameter(name, index, 'a Context');
    }
    return value;
  }

  function run(script, mode, name, args) {
    checkCount(name, args, 1);
    const context = checkContext(name, 1, args[0]);
    const options = optionalObject(name, 2, args[1]);
    const release = boolOption(options, 'release', false);
    return binding.scriptRun(script, mode, context, release, timeoutOption(options), transferBits(options));
  }

  const Script = defineClass('Script', undefined, {
    release() { binding.scriptRelease(this); },
    run(context, options) { return run(this, ASYNC, 'run', arguments); },
    runIgnored(context, options) { run(this, IGNORED, 'runIgnored', arguments); },
    runSync(context, options) { return run(this, SYNC, 'runSync', arguments); },
  }, undefined, true);

  // --- Module -----------------------------------------------------------------------------------
  //
  // Linking happens here, in the world of the resolver: the linker walks the graph from the
  // module, asking the resolver for each dependency of each module not yet instantiated, and
  // hands the answers to the binding, which instantiates the graph with them. Each instantiation
  // has its own answers, so instantiations sharing modules can run at the same time.

  function isModule(value) {
    return value !== null && typeof value === 'object' && getPrototypeOf(value) === Module.prototype;
  }

  // Names the import being resolved in an error about it.
  function resolving(specifier, referrer) {
    return ` (resolving "${specifier}" from ${binding.moduleFilename(referrer)})`;
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
        const at = typeof stack === 'string' ? stack.indexOf(message) : -1;
        if (at !== -1) {
          error.stack = stack.slice(0, at) + named + stack.slice(at + message.length);
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
    let id = moduleIds.get(module);
    if (id === undefined) {
      id = binding.moduleId(module);
      moduleIds.set(module, id);
      if (moduleFacades.get(id)?.deref() === undefined) {
        moduleFacades.set(id, new WeakRefCtor(module));
        if (moduleFacades.size > 2 * prunedAt) {
          for (const [key, facade] of moduleFacades) {
            if (facade.deref() === undefined) {
              moduleFacades.delete(key);
            }
          }
          prunedAt = moduleFacades.size;
        }
      }
    }
    return id;
  }
  let prunedAt = 64;

  function knownFacade(module) {
    return moduleFacades.get(moduleId(module))?.deref() ?? module;
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
        if (indices.has(id)) {
          return false;
        }
        indices.set(id, modules.length);
        modules[modules.length] = module;
        return !binding.moduleIsInstantiated(module);
      },
      add(referrer, specifier, dependency) {
        links[links.length] = indices.get(moduleId(referrer));
        links[links.length] = specifier;
        links[links.length] = indices.get(moduleId(dependency));
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
  // does, so nothing is still resolving once linking has failed.
  async function linkAsync(root, resolver) {
    const linker = newLinker();
    const link = async (module) => {
      const branches = [];
      for (const specifier of binding.moduleDependencySpecifiers(module)) {
        branches[branches.length] = (async () => {
          const dependency = await resolveAsync(resolver, specifier, module);
          const fresh = linker.visit(dependency);
          linker.add(module, specifier, dependency);
          if (fresh) {
            await link(dependency);
          }
        })();
      }
      const outcomes = await PromiseCtor.allSettled(branches);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          throw outcome.reason;
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
      return binding.moduleInstantiate(module, ASYNC, context, onImport, modules, links);
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

  // --- Reference --------------------------------------------------------------------------------

  function releaseOption(name, args) {
    return boolOption(optionalObject(name, 1, args[0]), 'release', false);
  }

  function get(reference, mode, name, args) {
    checkCount(name, args, 1);
    const options = optionalObject(name, 2, args[1]);
    const accessors = boolOption(options, 'accessors', false);
    return binding.referenceGet(reference, mode, args[0], accessors, transferBits(options));
  }

  function set(reference, mode, name, args) {
    checkCount(name, args, 2);
    const options = optionalObject(name, 3, args[2]);
    return binding.referenceSet(reference, mode, args[0], args[1], transferBits(options));
  }

  function remove(reference, mode, name, args) {
    checkCount(name, args, 1);
    return binding.referenceDelete(reference, mode, args[0]);
  }

  function apply(reference, mode, name, args) {
    const applyArguments = optionalArray(name, 2, args[1]);
    const options = optionalObject(name, 3, args[2]);
    const argumentsBits = transferBits(objectOption(options, 'arguments'));
    const resultOptions = objectOption(options, 'result');
    if (mode === SYNC_PROMISE && resultOptions !== undefined) {
      throw new TypeErrorCtor('`result` options are not available for `applySyncPromise`');
    }
    const resultBits = transferBits(resultOptions);
    return binding.referenceApply(reference, mode, args[0], applyArguments, timeoutOption(options), argumentsBits, resultBits);
  }

  const Reference = defineClass('Reference', function (instance, args) {
    checkCount('Reference', args, 1);
    const options = optionalObject('Reference', 2, args[1]);
    binding.referenceNew(instance, args[0], boolOption(options, 'unsafeInherit', false));
  }, {
    get typeof() { return binding.referenceTypeof(this); },
    copy() { return binding.referenceCopy(this, ASYNC); },
    copySync() { return binding.referenceCopy(this, SYNC); },
    deref(options) { return binding.referenceDeref(this, releaseOption('deref', arguments)); },
    derefInto(options) { return binding.referenceDerefInto(this, releaseOption('derefInto', arguments)); },
    release() { binding.referenceRelease(this); },
    delete(property) { return remove(this, ASYNC, 'delete', arguments); },
    deleteIgnored(property) { remove(this, IGNORED, 'deleteIgnored', arguments); },
    deleteSync(property) { return remove(this, SYNC, 'deleteSync', arguments); },
    get(property, options) { return get(this, ASYNC, 'get', arguments); },
    getSync(property, options) { return get(this, SYNC, 'getSync', arguments); },
    set(property, value, options) { return set(this, ASYNC, 'set', arguments); },
    setIgnored(property, value, options) { set(this, IGNORED, 'setIgnored', arguments); },
    setSync(property, value, options) { return set(this, SYNC, 'setSync', arguments); },
    apply(receiver, args, options) { return apply(this, ASYNC, 'apply', arguments); },
    applyIgnored(receiver, args, options) { apply(this, IGNORED, 'applyIgnored', arguments); },
    applySync(receiver, args, options) { return apply(this, SYNC, 'applySync', arguments); },
    applySyncPromise(receiver, args, options) { return apply(this, SYNC_PROMISE, 'applySyncPromise', arguments); },
  });

  // The object `derefInto()` returns; it becomes the referenced value in the value's own world.
  const Dereference = defineClass('Dereference', undefined, {});

  // --- Callback ---------------------------------------------------------------------------------

  const Callback = defineClass('Callback', function (instance, args) {
    checkCount('Callback', args, 1);
    const fn = checkFunction('Callback', 1, args[0]);
    const options = optionalObject('Callback', 2, args[1]);
    const isAsync = boolOption(options, 'async', false);
    const ignored = boolOption(options, 'ignored', false);
    const sync = boolOption(options, 'sync', false);
    if (isAsync + ignored + sync > 1) {
      throw new TypeErrorCtor('Only one of `async`, `ignored`, or `sync` may be set');
    }
    binding.callbackNew(instance, fn, isAsync ? 1 : ignored ? 2 : 0);
  }, {});

  // --- ExternalCopy -----------------------------------------------------------------------------

  function copyOptions(name, args) {
    const options = optionalObject(name, 1, args[0]);
    return [boolOption(options, 'release', false), boolOption(options, 'transferIn', false)];
  }

  const ExternalCopy = defineClass('ExternalCopy', function (instance, args) {
    checkCount('ExternalCopy', args, 1);
    const options = optionalObject('ExternalCopy', 2, args[1]);
    const transferOut = boolOption(options, 'transferOut', false);
    const transferList = option(options, 'transferList');
    if (transferList !== undefined && !isArray(transferList)) {
      throw new TypeErrorCtor('`transferList` must be an array');
    }
    binding.externalCopyNew(instance, args[0], transferOut, transferList);
  }, {
    copy(options) { return binding.externalCopyCopy(this, ...copyOptions('copy', arguments)); },
    copyInto(options) { return binding.externalCopyCopyInto(this, ...copyOptions('copyInto', arguments)); },
    release() { binding.externalCopyRelease(this); },
  }, {
    get totalExternalSize() { return binding.externalCopyTotalSize(); },
  });

  // The object `copyInto()` returns; it becomes a copy of the value in the world it is given to.
  const ExternalCopyInto = defineClass('ExternalCopyInto', undefined, {});

  // --- NativeModule -----------------------------------------------------------------------------

  // Native addons are built against Node's V8; isolates here run on isolated-vm's own V8, where
  // such a library cannot be loaded.
  const NATIVE_MODULE_UNSUPPORTED = 'NativeModule is not supported: native modules are compiled against Node\'s V8, '
    + 'and isolates run on isolated-vm\'s own V8, which cannot load them. Give isolate code access to native '
    + 'functionality through a host function instead (a Reference or a Callback).';

  const NativeModule = defineClass('NativeModule', function () {
    throw new ErrorCtor(NATIVE_MODULE_UNSUPPORTED);
  }, {
    create() { throw new ErrorCtor(NATIVE_MODULE_UNSUPPORTED); },
    createSync() { throw new ErrorCtor(NATIVE_MODULE_UNSUPPORTED); },
  });

  // --- Lib ------------------------------------------------------------------------------------

  const NANOSECONDS = 1e9;

  function isTimePart(value, below) {
    return isInteger(value) && value >= 0 && value < below;
  }

  // `ivm.lib`: utilities, in every world the module (or `ivm.lib`) is passed to.
  const Lib = defineClass('Lib', undefined, {
    // process.hrtime: the same clock, and with `previous` the time elapsed since it.
    hrtime(previous) {
      const now = binding.libHrtime(this);
      if (previous === undefined || previous === null) {
        return now;
      }
      if (!isArray(previous)) {
        throw requiresParameter('hrtime', 1, 'an array');
      }
      if (previous.length !== 2) {
        throw new TypeErrorCtor('hrtime diff must be 2-length array');
      }
      const seconds = previous[0];
      const nanoseconds = previous[1];
      if (!isTimePart(seconds, 2 ** 53) || !isTimePart(nanoseconds, NANOSECONDS)) {
        throw new TypeErrorCtor('hrtime diff must hold whole seconds and nanoseconds');
      }
      let elapsedSeconds = now[0] - seconds;
      let elapsedNanoseconds = now[1] - nanoseconds;
      if (elapsedNanoseconds < 0) {
        elapsedSeconds -= 1;
        elapsedNanoseconds += NANOSECONDS;
      }
      return [elapsedSeconds, elapsedNanoseconds];
    },
  });
  const lib = instantiators.get(Lib)();
  binding.libNew(lib);

  // --- The module -------------------------------------------------------------------------------

  const ivm = {
    lib,
    Isolate,
    Context,
    Script,
    Module,
    Reference,
    Callback,
    ExternalCopy,
    NativeModule,
  };

  // The binding creates instances of these classes (results, transferred objects) through this
  // factory, in the order of its `Kind` enumeration.
  const classes = [Isolate, Context, Script, Reference, Dereference, Callback, ExternalCopy, ExternalCopyInto, Module, Session, Lib];
  const makers = classes.map((ctor) => instantiators.get(ctor));
  for (const ctor of classes) {
    options.prototypes?.add(ctor.prototype);
  }
  binding.setup((kind) => makers[kind](), ivm, options.facadeFile);
  return freeze(ivm);
};
