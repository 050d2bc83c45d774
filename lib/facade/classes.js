// The classes of the API, and how they are defined: `defineClass` gives each the behaviour of
// isolated-vm's native classes. Here are Isolate, Session (the inspector's), Context, Script,
// NativeModule and Lib; Module is in linker.js, and the classes that carry values between
// isolates in transfer.js.

// Instances of every class are built on a base: inside isolates the binding's, which gives them
// the internal field holding their native state; in Node a plain class.
const Base = binding.Base ?? class {};
// Marks an internal construction (by the binding's factory): no public initialization.
const INTERNAL = Symbol('internal');

// --- Classes ----------------------------------------------------------------------------------

// For each class, a function making an instance without public initialization.
const instantiators = new MapCtor();

// Defines a class the way isolated-vm's native classes behave: the constructor must be called
// with `new` (or cannot be called at all), prototypes are frozen, and so are instances, except
// those of an `extensible` class (compiled code, which gets `cachedData` properties).
//
// The public constructor is a function (for isolated-vm's messages); instances come from an
// internal class sharing its prototype (constructing a class is much faster than
// `Reflect.construct`). The prototype chain skips the base: instances are plain to users.
// `divert(args)`, if given, may return the instance to give instead (made elsewhere).
function defineClass(name, construct, members, statics, extensible = false, divert = undefined) {
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
      const diverted = divert === undefined ? undefined : divert(args);
      return diverted === undefined ? new Impl(args) : diverted;
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
  return { cachedData: option(options, 'cachedData'), produceCachedData: boolOption(options, 'produceCachedData', false) };
}

function compileScript(isolate, mode, name, args) {
  checkCount(name, args, 1);
  const code = checkString(name, 1, args[0]);
  const options = optionalObject(name, 2, args[1]);
  const at = origin(options);
  const cache = cacheOptions(options);
  return binding.isolateCompileScript(isolate, mode, code, at.filename, at.lineOffset, at.columnOffset, cache.cachedData, cache.produceCachedData);
}

function compileModule(isolate, mode, name, args) {
  checkCount(name, args, 1);
  const code = checkString(name, 1, args[0]);
  const options = optionalObject(name, 2, args[1]);
  const meta = functionOption(options, 'meta');
  const at = origin(options);
  const cache = cacheOptions(options);
  const compiled = binding.isolateCompileModule(isolate, mode, code, at.filename, at.lineOffset, at.columnOffset, cache.cachedData, cache.produceCachedData, meta);
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
}, false, outOfProcess);

// `new Isolate({ outOfProcess: true, ... })`: an isolate in a child process of its own, made by
// the host (lib/remote/parent.js, given to the facade in Node as `hostOptions.outOfProcess`).
function outOfProcess(args) {
  const isolateOptions = args[0] ?? {};
  if (typeof isolateOptions !== 'object' || !boolOption(isolateOptions, 'outOfProcess', hostOptions.outOfProcessByDefault === true)) {
    return undefined;
  }
  if (hostOptions.outOfProcess === undefined) {
    throw new TypeErrorCtor('`outOfProcess` isolates can only be created from Node.js');
  }
  return hostOptions.outOfProcess(isolateOptions);
}

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
  const flatScripts = [];
  for (let i = 0; i < scripts.length; i++) {
    const script = scripts[i];
    if (script === null || typeof script !== 'object' || typeof script.code !== 'string') {
      throw new TypeErrorCtor('`code` property is required');
    }
    const code = script.code;
    const at = origin(script);
    flatScripts[flatScripts.length] = code;
    flatScripts[flatScripts.length] = at.filename;
    flatScripts[flatScripts.length] = at.lineOffset;
    flatScripts[flatScripts.length] = at.columnOffset;
  }
  const timeout = int32Option(options, 'timeout', 5000);
  const memoryLimit = numberOption(options, 'memoryLimit', 128);
  if (memoryLimit < 8) {
    throw new ErrorCtor('`memoryLimit` must be at least 8');
  }
  return binding.isolateCreateSnapshot(flatScripts, warmup, timeout > 0 ? timeout : 0, memoryLimit);
}

// ThreadCpuProfile[]: the binding gives the thread and the inspector's `Profiler.stop` answer.
async function stopCpuProfiler(isolate, title) {
  const stopped = await binding.isolateStopCpuProfiler(isolate, ASYNC, title);
  if (stopped.length === 0) {
    return [];
  }
  const threadId = stopped[0];
  const profile = parseJson(stopped[1]).result.profile;
  // The documented CpuProfile has numeric script ids (the protocol's are strings).
  const nodes = profile.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const callFrame = nodes[i].callFrame;
    callFrame.scriptId = toNumber(callFrame.scriptId);
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
  weakMapSet(sessionHandlers, session, handlers);
  return session;
}

function sessionHandler(session, key) {
  binding.sessionCheck(session);
  return weakMapGet(sessionHandlers, session)[key];
}

function setSessionHandler(session, key, value) {
  binding.sessionCheck(session);
  if (typeof value !== 'function') {
    throw new TypeErrorCtor(`\`${key}\` must be a function`);
  }
  weakMapGet(sessionHandlers, session)[key] = value;
}

const Session = defineClass('Session', undefined, {
  dispatchProtocolMessage(message) {
    checkCount('dispatchProtocolMessage', arguments, 1);
    binding.sessionDispatch(this, checkString('dispatchProtocolMessage', 1, message), undefined);
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
  const timeout = timeoutOption(options);
  const at = origin(options);
  return binding.contextEval(context, mode, code, timeout, at.filename, at.lineOffset, at.columnOffset, transferBits(options));
}

function evaluateClosure(context, mode, name, args) {
  checkCount(name, args, 1);
  const code = checkString(name, 1, args[0]);
  const closureArguments = optionalArray(name, 2, args[1]);
  const options = optionalObject(name, 3, args[2]);
  const argumentsTransfer = transferBits(objectOption(options, 'arguments'));
  const resultTransfer = transferBits(objectOption(options, 'result'));
  const timeout = timeoutOption(options);
  const at = origin(options);
  return binding.contextEvalClosure(context, mode, code, closureArguments, timeout, at.filename, at.lineOffset, at.columnOffset, argumentsTransfer, resultTransfer);
}

const Context = defineClass('Context', undefined, {
  get global() {
    let global = weakMapGet(globals, this);
    if (global === undefined) {
      global = binding.contextGlobal(this);
      if (global !== undefined) {
        weakMapSet(globals, this, global);
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
    const globalReference = weakMapGet(globals, this);
    if (released && globalReference !== undefined) {
      weakMapDelete(globals, this);
      binding.referenceRelease(globalReference);
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
