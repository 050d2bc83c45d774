// Objects of isolates of another process given to our isolates: those of out-of-process isolates
// given to an in-process one, and those of in-process isolates, or of other out-of-process ones,
// given to an out-of-process one's guest. Here each is a forwarder, an instance of its class's
// forwarding prototype (so that `instanceof` holds), whose methods and getters run those of the
// object it stands for, through a Reference to a dispatcher of Node's (lib/remote/forward.js):
// the arguments cross to Node copied, the result crosses back as the method's options say, and
// the object does the rest, as if Node had called it. What this isolate gives one crosses as it
// would to an isolate of this process, except a promise: that stays in this process.

// The methods and getters of each class that cross (lib/remote/parent.js makes Node's objects by
// the same list, with some of the getters of its own); the methods in ASYNC_METHODS give promises.
const SURFACE = {
  Isolate: {
    methods: ['compileScript', 'compileScriptSync', 'compileModule', 'compileModuleSync', 'createContext', 'createContextSync', 'getHeapStatistics', 'getHeapStatisticsSync', 'startCpuProfiler', 'stopCpuProfiler', 'dispose'],
    getters: ['cpuTime', 'wallTime', 'referenceCount', 'isDisposed'],
  },
  Context: {
    methods: ['eval', 'evalIgnored', 'evalSync', 'evalClosure', 'evalClosureIgnored', 'evalClosureSync', 'release'],
    getters: ['global'],
  },
  Script: { methods: ['run', 'runIgnored', 'runSync', 'release'], getters: [] },
  Module: {
    methods: ['instantiate', 'instantiateSync', 'evaluate', 'evaluateSync', 'release'],
    getters: ['namespace', 'dependencySpecifiers'],
  },
  Reference: {
    methods: ['copy', 'copySync', 'deref', 'derefInto', 'release', 'delete', 'deleteIgnored', 'deleteSync', 'get', 'getSync', 'set', 'setIgnored', 'setSync', 'apply', 'applyIgnored', 'applySync', 'applySyncPromise'],
    getters: ['typeof'],
  },
  Dereference: { methods: [], getters: [] },
};
const ASYNC_METHODS = ['compileScript', 'compileModule', 'createContext', 'getHeapStatistics', 'stopCpuProfiler', 'eval', 'evalClosure', 'run', 'instantiate', 'evaluate', 'copy', 'delete', 'get', 'set', 'apply'];

const NO_PROMISE = 'A promise cannot be given to an isolate of another process';

// The Reference to Node's dispatcher of each forwarder.
const dispatchers = new WeakMapCtor();

// Where the options of a method's result are: the argument, and the key in it, if any.
const RESULT_OPTIONS = new MapCtor();
for (const name of ['eval', 'evalIgnored', 'evalSync', 'run', 'runIgnored', 'runSync', 'get', 'getSync']) {
  RESULT_OPTIONS.set(name, [1, undefined]);
}
for (const name of ['evalClosure', 'evalClosureIgnored', 'evalClosureSync', 'apply', 'applyIgnored', 'applySync']) {
  RESULT_OPTIONS.set(name, [2, 'result']);
}
// The methods whose result is data.
const DATA_RESULTS = new MapCtor(['copy', 'copySync', 'getHeapStatistics', 'getHeapStatisticsSync', 'stopCpuProfiler', 'get dependencySpecifiers'].map((name) => [name, true]));

// The transfer bits of options, 0 where they are not valid options (Node's object then says
// what is wrong with them, as in one process).
function transferOf(options, key) {
  const found = key === undefined || options === null || typeof options !== 'object' ? options : options[key];
  if (found === undefined || found === null || typeof found !== 'object') {
    return 0;
  }
  try {
    return transferBits(found);
  } catch {
    return 0;
  }
}

// A value this isolate gives a forwarder's method under `bits`, as it crosses to Node (copied)
// and on: a copy is made there; a Reference to it is made here, and passes as it is (the options
// then ask for no Reference: see `withoutReference`); otherwise it must be what passes as it is
// (a primitive, an isolated-vm object, a function, which passes as a Callback).
function crossing(value, bits) {
  if ((bits & PROMISE) !== 0) {
    throw new TypeErrorCtor(NO_PROMISE);
  }
  if ((bits & REFERENCE) !== 0) {
    return new Reference(value);
  }
  if ((bits & (COPY | EXTERNAL_COPY)) !== 0) {
    return value;
  }
  if (typeof value === 'function') {
    return new Callback(value);
  }
  if (typeof value === 'symbol' || (value !== null && typeof value === 'object' && value !== ivm && !mapHas(crossingPrototypes, getPrototypeOf(value)))) {
    throw new TypeErrorCtor('A non-transferable value was passed');
  }
  return value;
}

// Options (or those at `key` in them) asking for no Reference.
function withoutReference(options, key) {
  return key === undefined ? { ...options, reference: false } : { ...options, [key]: { ...options[key], reference: false } };
}

// The values of apply() and evalClosure() (args[1]), under their options (args[2].arguments).
function crossingArguments(args) {
  const values = args[1];
  const bits = transferOf(args[2], 'arguments');
  if (isArray(values)) {
    const crossed = [];
    for (let i = 0; i < values.length; i++) {
      crossed[i] = crossing(values[i], bits);
    }
    args[1] = crossed;
  }
  if ((bits & REFERENCE) !== 0) {
    args[2] = withoutReference(args[2], 'arguments');
  }
}

// The prototypes of what passes as it is (isolated-vm objects: setup.js adds the classes').
const crossingPrototypes = new MapCtor();

// How the arguments of the methods that are given values cross.
const PREPARE = new MapCtor();
for (const name of ['set', 'setIgnored', 'setSync']) {
  PREPARE.set(name, (args) => {
    const bits = transferOf(args[2]);
    args[1] = crossing(args[1], bits);
    if ((bits & REFERENCE) !== 0) {
      args[2] = withoutReference(args[2]);
    }
  });
}
for (const name of ['apply', 'applyIgnored', 'applySync', 'applySyncPromise']) {
  PREPARE.set(name, (args) => {
    args[0] = crossing(args[0], 0);
    crossingArguments(args);
  });
}
for (const name of ['evalClosure', 'evalClosureIgnored', 'evalClosureSync']) {
  PREPARE.set(name, crossingArguments);
}
// A resolver runs here, called by Node through a Reference to it (see lib/remote/forward.js).
for (const name of ['instantiate', 'instantiateSync']) {
  PREPARE.set(name, (args) => {
    if (typeof args[1] === 'function') {
      args[1] = new Reference(args[1]);
    }
  });
}

// The synchronous methods (and getter) that run in the isolate, not allowed everywhere (see
// forwardCheckSync).
const CHECKED_SYNC = new MapCtor();
for (const kind of Object.keys(SURFACE)) {
  for (const name of SURFACE[kind].methods) {
    if (name.endsWith('Sync') || name === 'applySyncPromise') {
      CHECKED_SYNC.set(name, true);
    }
  }
}
CHECKED_SYNC.set('get namespace', true);

// Runs method (or getter, 'get NAME') `name` of Node's object for `forwarder` (`method`: the
// forwarder's, for the stack of an async call's error).
function forward(forwarder, mode, name, args, method) {
  const dispatch = weakMapGet(dispatchers, forwarder);
  if (dispatch === undefined) {
    throw new TypeErrorCtor('Illegal invocation');
  }
  if (mapHas(CHECKED_SYNC, name)) {
    binding.forwardCheckSync();
  }
  const prepare = mapGet(PREPARE, name);
  if (prepare !== undefined) {
    if (mode !== ASYNC) {
      prepare(args);
    } else {
      try {
        prepare(args);
      } catch (error) {
        return (async () => {
          throw error;
        })();
      }
    }
  }
  const where = mapGet(RESULT_OPTIONS, name);
  const bits = where === undefined ? 0 : transferOf(args[where[0]], where[1]);
  const result = { copy: mapHas(DATA_RESULTS, name) || (bits & COPY) !== 0, promise: mode === ASYNC || (bits & PROMISE) !== 0 };
  const options = { arguments: { copy: true }, result };
  // Each argument on its own: a primitive's copy is itself, no serialization.
  const crossed = [forwarder, name];
  for (let i = 0; i < args.length; i++) {
    crossed[i + 2] = args[i];
  }
  if (mode === IGNORED) {
    dispatch.applyIgnored(undefined, crossed, options);
    return undefined;
  }
  if (mode !== ASYNC) {
    return dispatch.applySync(undefined, crossed, options);
  }
  // An error from the isolate names this isolate's caller after the boundary, as an async call
  // to an in-process isolate's does.
  const site = new ErrorCtor();
  captureStackTrace(site, method);
  return (async () => {
    try {
      return await dispatch.apply(undefined, crossed, options);
    } catch (error) {
      throw withCaller(error, site);
    }
  })();
}

const CROSSED = '\n    at (<isolated-vm boundary>)';

function withCaller(error, site) {
  const stack = error !== null && typeof error === 'object' ? error.stack : undefined;
  if (typeof stack === 'string' && stringSlice(stack, -CROSSED.length) === CROSSED) {
    const frames = stringSlice(site.stack, stringIndexOf(site.stack, '\n'));
    defineProperty(error, 'stack', { value: stack + frames, writable: true, configurable: true });
  }
  return error;
}

// release() releases the forwarder, not Node's object (in one process too, it releases only the
// instance), with the answer of its class.
function releaseForwarder(kind) {
  return {
    release() {
      const released = binding.forwardRelease(this);
      if (kind === 'Context') {
        return released;
      }
      if (kind === 'Reference' && !released) {
        throw new ErrorCtor('Reference has been released');
      }
      return undefined;
    },
  }.release;
}

// (What derefInto() gave arrives as a Dereference, of Node's object for it: src/transfer/v8conv.rs.)
const forwardedClasses = { Isolate, Context, Script, Module, Reference };
const forwardPrototypes = new MapCtor();
for (const kind of Object.keys(forwardedClasses)) {
  const members = {};
  for (const name of SURFACE[kind].methods) {
    const mode = ASYNC_METHODS.includes(name) ? ASYNC : name.endsWith('Ignored') ? IGNORED : SYNC;
    const method = { [name](...args) { return forward(this, mode, name, args, method); } }[name];
    members[name] = { value: method, writable: true, configurable: true };
  }
  for (const name of SURFACE[kind].getters) {
    members[name] = { get() { return forward(this, SYNC, `get ${name}`, []); }, configurable: true };
  }
  if (kind === 'Isolate') {
    members.createInspectorSession = { value: function createInspectorSession() { return forward(this, SYNC, 'createInspectorSession', []); }, writable: true, configurable: true };
  }
  if (SURFACE[kind].methods.includes('release')) {
    members.release.value = releaseForwarder(kind);
  }
  const prototype = Object.freeze(Object.create(forwardedClasses[kind].prototype, members));
  forwardPrototypes.set(kind, prototype);
  crossingPrototypes.set(prototype, true);
}

// A session's handlers are kept here, as in one process, and called by Node's session, through
// one function for each that it is given (an ignored Callback: delivered as an in-process
// session's are, when this isolate is free).
const forwardedHandlers = new WeakMapCtor();

function setForwardedHandler(session, key, value) {
  if (typeof value !== 'function') {
    throw new TypeErrorCtor(`\`${key}\` must be a function`);
  }
  const handlers = weakMapGet(forwardedHandlers, session);
  if (handlers === undefined) {
    throw new TypeErrorCtor('Illegal invocation');
  }
  if (handlers[key] === undefined) {
    const deliver = key === 'onResponse' ? (callId, message) => handlers.onResponse(callId, message) : (message) => handlers.onNotification(message);
    forward(session, SYNC, `set ${key}`, [new Callback(deliver, { ignored: true })]);
  }
  handlers[key] = value;
}

function forwardedHandler(session, key) {
  const handlers = weakMapGet(forwardedHandlers, session);
  if (handlers === undefined) {
    throw new TypeErrorCtor('Illegal invocation');
  }
  return handlers[key];
}

forwardPrototypes.set('Session', Object.freeze(Object.create(Session.prototype, Object.getOwnPropertyDescriptors({
  dispatchProtocolMessage(message) {
    checkCount('dispatchProtocolMessage', arguments, 1);
    forward(this, SYNC, 'dispatchProtocolMessage', [checkString('dispatchProtocolMessage', 1, message)]);
  },
  dispose() { forward(this, SYNC, 'dispose', []); },
  get onNotification() { return forwardedHandler(this, 'onNotification'); },
  set onNotification(value) { setForwardedHandler(this, 'onNotification', value); },
  get onResponse() { return forwardedHandler(this, 'onResponse'); },
  set onResponse(value) { setForwardedHandler(this, 'onResponse', value); },
}))));

class Forwarder extends Base {}

// A forwarder of class `kind` (made by the binding, which attaches its native state): compiled
// code stays extensible for its `cachedData` results, as in one process.
function makeForwarder(kind, dispatch) {
  const forwarder = new Forwarder();
  setPrototypeOf(forwarder, mapGet(forwardPrototypes, kind));
  weakMapSet(dispatchers, forwarder, dispatch);
  if (kind === 'Session') {
    weakMapSet(forwardedHandlers, forwarder, { onNotification: undefined, onResponse: undefined });
  }
  if (kind !== 'Script' && kind !== 'Module') {
    freeze(forwarder);
  }
  return forwarder;
}
