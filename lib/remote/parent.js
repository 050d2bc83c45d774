'use strict';
// Out-of-process isolates: `new ivm.Isolate({ outOfProcess: true, ...options })` starts a child
// process (child.js, run by this runtime's own executable) that holds the isolate, and gives an
// Isolate whose methods, and those of the Contexts, Scripts, Modules and References it gives
// out, are calls over the channel (channel.js). Whatever the guest does to its process, this one
// goes on: when the child dies, pending calls fail (with the memory-limit message where V8 gave
// up for memory), later ones find the isolate disposed, and `onCatastrophicError` is told.

const { spawn } = require('node:child_process');
const path = require('node:path');
const { Channel } = require('./channel');
const { Codec, TAG } = require('./codec');
const { requested: requestedV8Flags, emit: emitV8FlagWarnings } = require('../flags');
const { remotePrototypes, forwarding } = require('../host');
const { createDispatcher } = require('./forward');
const { twinsOf, twinned, releasedCall } = require('./twins');
const inspector = require('./inspector');

const CHILD = path.join(__dirname, 'child.js');
// The child's environment: empty, but on Deno a cache of its own in memory (Deno would otherwise
// keep its cache's files open in the child, writable after the filter is in).
const CHILD_ENV = typeof globalThis.Deno === 'undefined' ? {} : { DENO_DIR: '/dev/null' };
const MEMORY_LIMIT = 'Isolate was disposed during execution due to memory limit';
// After dispose(), how long the child has to answer the calls still pending (as an in-process
// isolate settles them) before it is ended anyway: a stuck or hostile child must not keep this
// process alive, or its memory, for ever. Generous: only a child that would never answer waits.
const DISPOSE_GRACE_MS = 10_000;
// How often a disposed isolate's child is checked for calls still pending.
const PENDING_POLL_MS = 20;
// What onCatastrophicError is told, as for in-process isolates.
const OUT_OF_MEMORY = 'Catastrophic out-of-memory error';
// The methods of each class that give promises (see `prototypes`).
let asyncMethods;

// The classes of this process's objects that a child's guest gets as forwarders.
const FORWARDED_HERE = new Set(['Isolate', 'Context', 'Script', 'Module']);
// The objects given to a child as forwarders: of another child, or of this process.
const forwardedObjects = new WeakSet();
// What runs their calls (lib/remote/forward.js).
let dispatch;

// The methods that release the object with `{ release: true }`.
const RELEASING = new Set(['deref', 'derefInto']);

// Each object standing for one of a child's: its channel and its id there.
const owners = new WeakMap();

function owner(object) {
  const found = owners.get(object);
  if (found === undefined) {
    throw new TypeError('Illegal invocation');
  }
  return found;
}

// Calls `name` on the child's object for `object`. The child checks the arguments and gives
// promises as in one process; only where the child is gone does an async method's error come
// from here, as a rejected promise. Errors read as in one process (see `restack`).
function call(object, name, args) {
  const { channel, id, state } = owner(object);
  // Disposed, or its child gone: as an in-process isolate that was disposed, or given up after
  // a fatal error, answers.
  if (state.disposing || state.gone !== null) {
    return disposedCall(object, name, args);
  }
  const async = asyncMethods.has(name);
  // An async call's error names its caller, as in one process (which also pays for it).
  const site = async ? new Error() : undefined;
  let result;
  try {
    result = channel.call(id, name, args);
  } catch (error) {
    restack(error, new Error());
    if (async && state.gone !== null) {
      return Promise.reject(error);
    }
    throw error;
  }
  if (name === 'release' || (RELEASING.has(name) && args[0]?.release === true)) {
    markReleased(object);
  }
  return async && result instanceof Promise ? result.catch((error) => Promise.reject(restack(error, site))) : result;
}

// A call made after dispose() or the child's death, answered here as an in-process isolate
// disposed (or given up after a fatal error) answers it: release() is allowed (see
// `releaseDisposed`), and the others are made on the objects of a disposed in-process isolate
// (`twins`), which check their arguments and fail as in one process (the objects of the same
// isolate among the arguments, or in an array argument such as apply()'s, stand for those of
// the other).
function disposedCall(object, name, args) {
  if (name === 'release') {
    return releaseDisposed(object);
  }
  const { state } = owner(object);
  const twinArgs = twinned(args, (arg) => (owners.get(arg)?.state === state ? twinOf(arg) : arg));
  // Errors name this process's caller, as in one process.
  const site = new Error();
  let result;
  try {
    result = name.startsWith('get ') ? twinOf(object)[name.slice(4)] : twinOf(object)[name](...twinArgs);
  } catch (error) {
    throw restack(error, site);
  }
  return result instanceof Promise ? result.catch((error) => Promise.reject(restack(error, site))) : result;
}

// The twin (lib/remote/twins.js) of an object standing for a child's.
function twinOf(object) {
  const kind = Object.keys(madePrototypes).find((name) => madePrototypes[name] === Object.getPrototypeOf(object));
  const { live, released: releasedTwins } = twinsOf(madeFor);
  return (released.has(object) ? releasedTwins : live)[kind];
}

// The objects of out-of-process isolates released here, before or after dispose(). A Context's
// global Reference is released with it.
const released = new WeakSet();

function markReleased(object) {
  released.add(object);
  const entry = owner(object);
  if (Object.getPrototypeOf(object) === madePrototypes.Context) {
    if (entry.global !== undefined) {
      released.add(entry.global);
    }
    entry.global = undefined; // as `global` reads once released
  }
}

// The error of a use of a released object, naming this process's caller (see `restack`).
function releasedError(message) {
  return restack(new Error(message), new Error());
}

// release() of an object of a disposed isolate, as in one process: a Context says whether this
// call released it, a Reference can be released once, a Script or a Module any number of times.
function releaseDisposed(object) {
  const first = !released.has(object);
  markReleased(object);
  switch (Object.getPrototypeOf(object)) {
    case madePrototypes.Context:
      return first;
    case madePrototypes.Reference:
      if (!first) {
        throw releasedError('Reference has been released');
      }
      return undefined;
    default: return undefined;
  }
}

const BOUNDARY = '    at (<isolated-vm boundary>)';
const FRAME = /^ {4}at /;

// The stack of an error from the child as it would read in one process: the isolate's frames
// up to where they crossed (or, for an error of isolated-vm itself, none), then the frames of
// this process's caller at `site`, instead of the child's.
function restack(error, site) {
  if (!(error instanceof Error) || typeof error.stack !== 'string') {
    return error;
  }
  const lines = error.stack.split('\n');
  // (After the last boundary, the child's frames: those of its runtime, where the error left
  // the isolate, or crossed from the isolate to the isolate that called a forwarder.)
  const crossed = lines.lastIndexOf(BOUNDARY);
  const head = crossed === -1 ? lines.slice(0, lines.findIndex((line) => FRAME.test(line)) >>> 0) : lines.slice(0, crossed + 1);
  const here = site.stack.split('\n').filter((line) => FRAME.test(line) && !line.includes(__dirname));
  Object.defineProperty(error, 'stack', { value: [...head, ...here].join('\n'), writable: true, configurable: true });
  return error;
}

// The prototypes of the objects standing for a child's, inheriting from the in-process classes'
// so that `instanceof` holds (`inProcess`: the in-process prototypes, for those of classes the
// module does not export), with the methods and getters of the facade's list (`surface`, the
// same as that of forwarders: lib/facade/forward.js), some of them defined here.
function prototypes(ivm, binding, inProcess, facadeSurface) {
  madeFor = ivm;
  asyncMethods = new Set(facadeSurface.async);
  const made = {};
  for (const [kind, surface] of Object.entries(facadeSurface.classes)) {
    const base = ivm[kind]?.prototype ?? Object.prototype;
    const members = {};
    for (const name of surface.methods) {
      members[name] = { value: { [name](...args) { return call(this, name, args); } }[name], configurable: true, writable: true };
    }
    for (const name of surface.getters) {
      members[name] = { get() { return call(this, `get ${name}`, []); }, configurable: true };
    }
    made[kind] = Object.create(base, members);
  }
  Object.defineProperties(made.Isolate, {
    // The child's own isolate (id 0) is disposed from here; one its guest made (and gave out)
    // is the child's to dispose, as any of its objects.
    isDisposed: {
      get() {
        const { state } = owner(this);
        return state.disposing || state.gone !== null || call(this, 'get isDisposed', []);
      },
      configurable: true,
    },
    dispose: {
      value() {
        const { state, id } = owner(this);
        return id === 0 ? state.dispose() : call(this, 'dispose', []);
      },
      configurable: true,
      writable: true,
    },
    createInspectorSession: { value() { return inspector.createSession(this, call, owner); }, configurable: true, writable: true },
  });
  made.Session = inspector.sessionPrototype([...inProcess].find((prototype) => prototype.constructor.name === 'Session'), call, owner);
  Object.defineProperty(made.Reference, 'typeof', {
    get() {
      if (released.has(this)) {
        throw releasedError('Reference has been released');
      }
      return owner(this).type;
    },
    configurable: true,
  });
  // After dispose(), the Reference it last gave, as in one process (undefined once released).
  Object.defineProperty(made.Context, 'global', {
    get() {
      const entry = owner(this);
      if (!entry.state.disposing || !('global' in entry)) {
        entry.global = call(this, 'get global', []);
      }
      return entry.global;
    },
    configurable: true,
  });
  // Known from the start (a new array each time, as in one process), until released.
  Object.defineProperty(made.Module, 'dependencySpecifiers', {
    get() {
      if (released.has(this)) {
        throw releasedError('Module has been released');
      }
      return [...owner(this).dependencySpecifiers];
    },
    configurable: true,
  });
  for (const [kind, prototype] of Object.entries(made)) {
    Object.freeze(prototype);
    remotePrototypes.set(prototype, kind);
  }
  // Given to in-process isolates, they become forwarders, which call `dispatch` (a forwarder
  // released there crosses as a released in-process object of its class: see `releasedCall`).
  dispatch = createDispatcher(ivm, forwarding.askedFor);
  forwarding.dispatch = (object, name, args) => (owners.has(object) || name.startsWith('get ') ? dispatch(object, name, args) : releasedCall(object, name, args, (arg) => (owners.has(arg) ? twinOf(arg) : arg)));
  binding.forwardingEnable();
  return made;
}

let madePrototypes;
// The module they were made for.
let madeFor;
let callbackModes;

// A child process for an isolate: its channel's socket and descriptor, and `output`, what it
// last wrote to stderr (V8's last words when it gives up), read as it comes and at once
// (`readNow`) when the child is found dead during a synchronous call. Like an in-process
// isolate, it keeps this process alive only while a call of its channel is pending.
function startChild(binding) {
  // The child's runtime gets more stack than its isolate's V8 may use (3584 KB at most, see
  // src/flags.rs): both run on the child's main thread, so that a guest recursing deep between
  // host calls overflows in its own V8, not inside the channel's code, where a lost message
  // would leave both processes waiting. The tests can make the child collect its garbage (see
  // `collectChild`).
  const runtimeFlags = ['--stack-size=5632', ...(process.env.ISOLATED_VM_TEST_BINDINGS === '1' ? ['--expose-gc'] : [])];
  // The V8 flags this process asked for when it started its first child are the child's
  // isolate's, as if it were in this process (where they are read once, by the first isolate).
  v8Flags ??= JSON.stringify(requestedV8Flags());
  // And the time zone, which the child's environment, empty, does not have and its filter does
  // not let it read.
  // And the offset of this process's clock, which the guest's lib.hrtime reads (see src/api/lib.rs).
  const child = spawn(process.execPath, [...runtimeFlags, CHILD, v8Flags, timeZone(), String(binding.hrtimeOffset())], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: CHILD_ENV, windowsHide: true });
  const output = {
    text: '',
    keep(text) {
      output.text = (output.text + text).slice(-4096);
    },
    readNow() {
      const bytes = Buffer.allocUnsafe(4096);
      try {
        let count;
        while ((count = binding.channelRead(child.stderr._handle.fd, bytes, 0)) > 0) {
          output.keep(bytes.toString('utf8', 0, count));
        }
      } catch {
        // Not a socket here: what the event loop read is all there is.
      }
    },
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', output.keep);
  const socket = child.stdio[3];
  // The child's code that serves calls runs once now, not in the first real call.
  Channel.warm(binding, socket._handle.fd);
  child.unref();
  child.stderr.unref();
  socket.unref();
  return { child, socket, fd: socket._handle.fd, output };
}

let v8Flags;

// The time zone of this process: its TZ, else the zone ICU found for /etc/localtime (a link that
// names one, or a file that it matched with one of the zone files), '' where it found none.
function timeZone() {
  if (process.env.TZ !== undefined) {
    return process.env.TZ;
  }
  const zone = globalThis.Intl?.DateTimeFormat().resolvedOptions().timeZone;
  return zone === undefined || zone === 'Etc/Unknown' ? '' : zone;
}

// One child started ahead, so that a new isolate starts in about the time V8 takes to make one
// rather than the runtime's start-up (see README.md).
let spare;

function takeSpare() {
  const taken = spare;
  spare = undefined;
  return taken?.child.exitCode === null && taken.child.signalCode === null ? taken : undefined;
}

// `options` as given to `new Isolate`, with `outOfProcess: true`. `hostOptions` are the facade's
// (lib/facade/frame.js): its `callbackFunctions` and `copiesInto` give what Callbacks and
// ExternalCopyInto objects made in this process hold.
function createIsolate(ivm, binding, hostOptions, options) {
  const { callbackFunctions, copiesInto, host, prototypes: facadePrototypes, surface } = hostOptions;
  // Bun's sockets over inherited descriptors end at once in the child (README.md).
  if (process.versions.bun !== undefined) {
    throw new Error('Out-of-process isolates need Node.js or Deno');
  }
  madePrototypes ??= prototypes(ivm, binding, facadePrototypes, surface);
  const { outOfProcess, onCatastrophicError, ...isolateOptions } = options;
  if (onCatastrophicError !== undefined && typeof onCatastrophicError !== 'function') {
    throw new TypeError('`onCatastrophicError` must be a function');
  }
  // The names of the Callback modes, by their numbers (read once: the protocol is a native call).
  callbackModes ??= Object.fromEntries(Object.entries(binding.protocol().callbackModes).map(([name, number]) => [number, name]));
  const { child, socket, fd, output } = takeSpare() ?? startChild(binding);
  // The next isolate starts from a child already running (started once this call is over).
  setImmediate(() => {
    spare ??= startChild(binding);
  });
  // `disposing`: the isolate was disposed (or is unused), so the child is being ended by this
  // process, not lost; `gone`: why the channel closed, once it has.
  const state = { gone: null, disposing: false, dispose: undefined };

  const end = () => {
    state.disposing = true;
    channel.close('disposed');
    child.kill('SIGKILL');
  };
  // Once the isolate and every object standing for one of the child's were collected (and no
  // call is pending), the child ends, as an in-process isolate nobody references is destroyed.
  const endIfUnused = () => {
    if (state.gone === null && codec.live === 0) {
      endWhenIdle(Infinity);
    }
  };
  // The child ends once no call waits for it (after dispose(): once its answers settled every
  // pending call), or at `deadline` whatever it did. The check does not keep this process alive:
  // a pending promise does (see Channel#promise), until it settles or the deadline fails it.
  const endWhenIdle = (deadline) => {
    if (state.gone !== null) {
      return;
    }
    if (channel.idle() || Date.now() >= deadline) {
      end();
      return;
    }
    setTimeout(endWhenIdle, PENDING_POLL_MS, deadline).unref();
  };
  const stand = (tag) => {
    if (tag.kind === undefined) {
      return channel.promise(tag.id);
    }
    const known = codec.standIn(tag.id);
    if (known !== undefined) {
      return known;
    }
    if (tag.kind === 'function') {
      // A function of the guest, as a function of this process.
      const forward = channel.forwarder(tag.id, tag.name, tag.length);
      return codec.track(forward, forward, tag.id);
    }
    const standIn = Object.create(madePrototypes[tag.kind] ?? madePrototypes.Dereference);
    owners.set(standIn, { channel, id: tag.id, type: tag.type, dependencySpecifiers: tag.dependencySpecifiers, state });
    codec.giveCompiledResults(standIn, tag);
    if (tag.kind === 'Session') {
      // Frozen, as an in-process session is.
      Object.freeze(standIn);
    }
    if (tag.released) {
      released.add(standIn);
    }
    return codec.track(standIn, standIn, tag.id);
  };
  // (This child's own objects were found before: see Codec#tag.)
  const describe = (value) => {
    if (owners.has(value)) {
      // (An inspector session is not given anywhere, as in one process, but to the forwarder
      // that made it.)
      const kind = remotePrototypes.get(Object.getPrototypeOf(value));
      if (kind === 'Session' && !forwarding.askedFor.has(value)) {
        throw new TypeError('A non-transferable value was passed');
      }
      return forwardedTag(value, kind);
    }
    if (value instanceof ivm.Reference) {
      if (!binding.referenceIsHere(value)) {
        return forwardedTag(value, 'Reference');
      }
      return { kind: 'Reference', type: value.typeof, inherit: binding.referenceInherits(value) };
    }
    if (value instanceof ivm.Callback) {
      return { kind: 'Callback', mode: callbackModes[callbackFunctions.get(value)[1]] };
    }
    if (typeof value === 'function') {
      return { kind: 'function', name: value.name, length: value.length };
    }
    const transferIn = copiesInto.get(value);
    if (transferIn !== undefined) {
      // Used once, as in one process.
      copiesInto.delete(value);
      // With transferIn, its buffers move out of the copy, which is then invalid, as in one process.
      return { [TAG]: 'copyInto', parts: codec.exported(binding.externalCopyExport(value, transferIn)), transferIn };
    }
    if (Object.getPrototypeOf(value)?.constructor?.name === 'ExternalCopyInto') {
      throw new Error('The return value of `copyInto()` should only be used once');
    }
    // What derefInto() gave here is of a value of this process, never of the child's (whose
    // References give stand-ins), as in one process when given to another isolate; unless the
    // child's forwarder asked for it (see `serve`), to give it back.
    if (Object.getPrototypeOf(value)?.constructor?.name === 'Dereference' && facadePrototypes.has(Object.getPrototypeOf(value))) {
      if (!forwarding.askedFor.has(value)) {
        throw new TypeError('Cannot dereference this into target isolate');
      }
      return forwardedTag(value, 'Dereference');
    }
    // An Isolate, Context, Script or Module of this process, as a forwarder; an inspector
    // session is not given anywhere, as in one process, but to the forwarder that made it.
    const prototype = Object.getPrototypeOf(value);
    if (facadePrototypes.has(prototype)) {
      if (!FORWARDED_HERE.has(prototype.constructor.name) && !forwarding.askedFor.has(value)) {
        throw new TypeError('A non-transferable value was passed');
      }
      return forwardedTag(value, prototype.constructor.name);
    }
    return undefined;
  };
  // An object of another child, or of an in-process isolate, crosses as the tag of a forwarder
  // of class `kind` (lib/remote/child.js), whose calls run here, on it (see `serve`), with its
  // compiled code's results.
  const forwardedTag = (value, kind) => {
    forwardedObjects.add(value);
    return codec.compiledResults(value, { kind: 'forwarded', of: kind });
  };
  const codec = new Codec(ivm, describe, stand);

  // The child's calls on this process's objects.
  // (A Reference's get, set and delete follow the rules of lib/host.js, and what get gives is
  // given to the guest as in one process: an object as a Reference to it, but an isolated-vm
  // object as itself.)
  const asReference = (value) => (value !== null && typeof value === 'object' && !facadePrototypes.has(Object.getPrototypeOf(value)) ? new ivm.Reference(value) : value);
  const serve = (target, name, args) => {
    const object = codec.object(target);
    // An object given as a forwarder, which calls it (see `forwardedTag`).
    if (forwardedObjects.has(object)) {
      return dispatch(object, name, args);
    }
    if (object instanceof ivm.Reference) {
      const value = object.deref();
      switch (name) {
        case 'apply': return Reflect.apply(value, args[0], args[1]);
        case 'get': return asReference(host.get(value, ...args));
        case 'set': return host.set(value, ...args);
        case 'delete': return host.remove(value, ...args);
        default: return new ivm.ExternalCopy(value); // 'copy'
      }
    }
    const fn = object instanceof ivm.Callback ? callbackFunctions.get(object)[0] : object;
    return fn(...args);
  };

  // Whether V8 said it gave up for memory (src/ops/catastrophe.rs, or V8's own message).
  const outOfMemory = () => /out of memory/i.test(output.text);
  const onGone = (reason, pending) => {
    if (state.gone === null) {
      state.gone = reason;
      twinsOf(ivm);
      output.readNow();
      if (reason !== 'disposed') {
        child.kill('SIGKILL');
      }
      if (!state.disposing && typeof onCatastrophicError === 'function') {
        const message = outOfMemory() ? OUT_OF_MEMORY : "Catastrophic error: the isolate's process ended";
        setImmediate(() => onCatastrophicError(message));
      }
    }
    if (!pending) {
      // After V8 gave up, the original's wording (as for an in-process isolate).
      return new Error(state.gone === 'closed' && !state.disposing ? 'Isolated is disposed' : 'Isolate is disposed');
    }
    if (state.disposing) {
      return new Error('Isolate was disposed during execution');
    }
    if (outOfMemory()) {
      return new Error(MEMORY_LIMIT);
    }
    return new Error('Isolate was disposed during execution due to a catastrophic error in its process');
  };
  const channel = new Channel(binding, fd, socket, codec, serve, onGone, { holdLoop: false, lingerMicros: 0 });
  codec.onCollected = endIfUnused;

  // Disposed here at once; the child disposes its isolate, which settles the calls it has
  // queued or running as in one process, and is told without waiting for its answer (it may be
  // stuck, or busy with the guest's code until that is terminated).
  state.dispose = () => {
    if (state.disposing || state.gone !== null) {
      throw new Error('Isolate is already disposed');
    }
    state.disposing = true;
    twinsOf(ivm);
    channel.tell(0, 'dispose', []);
    const deadline = Date.now() + DISPOSE_GRACE_MS;
    channel.endAt(deadline, end);
    endWhenIdle(deadline);
  };

  const isolate = Object.create(madePrototypes.Isolate);
  owners.set(isolate, { channel, id: 0, state });
  codec.track(isolate, isolate, 0);
  try {
    // Given once a process (lib/flags.js), as this process's own V8 gives them when it starts.
    emitV8FlagWarnings(channel.call(0, 'create', [isolateOptions]));
  } catch (error) {
    end();
    throw error;
  }
  return Object.freeze(isolate);
}

// For the tests (with ISOLATED_VM_TEST_BINDINGS=1): makes the child of `isolate` collect its
// garbage, so that what its guest let go of is let go of here too.
function collectChild(isolate) {
  owner(isolate).channel.call(0, 'collect', []);
}

module.exports = { createIsolate, collectChild };
