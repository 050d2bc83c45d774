'use strict';
// The child process of an out-of-process isolate (lib/remote/parent.js starts it with this
// runtime's own executable, an empty environment and only its channel, fd 3, and a pipe for
// stderr). It loads the addon, shuts itself in (binding.sandbox: no file, socket or program can
// be opened from here on), then makes the isolate the parent asks for and runs the parent's
// calls on it and on the objects it gives out, with the in-process API.

const net = require('node:net');
const binding = require('../binding');
// Before the first isolate: the V8 flags of the parent, not those of this runtime.
const v8Flags = require('../flags').inherit(JSON.parse(process.argv[2]));
// The time zone of the guest's dates, which V8's ICU reads when first needed, after the filter
// refuses reading /etc/localtime: the parent's (set in TZ once the filter is in: where this
// process starts again without io_uring, it keeps its environment, empty).
const zone = process.argv[3];
const ivm = require('../index');
// The guest's lib.hrtime reads the parent's clock.
binding.setHrtimeOffset(Number(process.argv[4]));
const { Channel } = require('./channel');
const { standIns, remotePrototypes, forwarding } = require('../host');
const { copyKinds } = require('../clone');
const messages = require('./messages');
const { Codec, TAG } = require('./codec');
const { ChildSession } = require('./inspector');
const { twinsOf, releasedCall } = require('./twins');
const { reclassing, asked } = require('./forward');

const FD = 3;
// (An Isolate is the parent's own, which crosses as id 0, or one the guest made.)
const KINDS = [[ivm.Reference, 'Reference'], [ivm.Context, 'Context'], [ivm.Script, 'Script'], [ivm.Module, 'Module'], [ivm.Isolate, 'Isolate']];

// This side's objects the parent may use, by kind; compiled code carries its cachedData results.
function describe(value) {
  if (value instanceof ChildSession) {
    return { kind: 'Session' };
  }
  for (const [Class, kind] of KINDS) {
    if (value instanceof Class) {
      const fields = { kind };
      if (kind === 'Reference') {
        fields.type = value.typeof;
      }
      if (kind === 'Module') {
        // A released one has none to give (its stand-in says it was released).
        try {
          fields.dependencySpecifiers = value.dependencySpecifiers;
        } catch {
          fields.released = true;
        }
      }
      return codec.compiledResults(value, fields);
    }
  }
  if (typeof value === 'function') {
    return { kind: 'function', name: value.name, length: value.length };
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value)?.constructor?.name === 'Dereference') {
    return { kind: 'Dereference' };
  }
  return undefined;
}

// A copy of the parent's (an ExternalCopy made there, see `stand`) as lib/clone.js's serialize
// gives one: [SERIALIZED, bytes, handles, shared], or [BUFFER, buffer, moved, view, offset,
// length] for a buffer or a view (from externalCopyExport's parts: [2, bytes, [], _, _, _,
// handles] and [1, buffer, _, view, offset, length]).
function serialized(copy) {
  const [kind, buffer, , view, byteOffset, byteLength, handles = []] = binding.externalCopyExport(copy);
  copy.release();
  return kind === 2 ? [copyKinds.SERIALIZED, new Uint8Array(buffer), handles, []] : [copyKinds.BUFFER, buffer, false, view, byteOffset, byteLength];
}

// This side's object for one of the parent's: a Reference to a value of the parent is a
// Reference to a proxy whose traps ask the parent; a Callback calls the parent's function. What
// the guest holds is the proxy or the function: the parent lets go once they are collected.
function stand(tag) {
  if (tag[TAG] === 'promise') {
    // Its rejection, where nothing here waits for it, must not end this process: the parent's
    // promise is the one that reports it.
    const promise = channel.promise(tag.id);
    promise.catch(() => {});
    return promise;
  }
  const { id } = tag;
  const known = codec.standIn(id);
  if (known !== undefined) {
    return known;
  }
  const ask = (name, args) => channel.call(id, name, args);
  if (tag.kind === 'Reference') {
    // The Reference's get, set and delete ask the parent, which reads its object with the
    // rules of lib/host.js (see `standIns`); a call of a function, through the proxy.
    const target = tag.type === 'function' ? function () {} : {};
    const proxy = new Proxy(target, { apply: (_, self, args) => ask('apply', [self, args]) });
    standIns.set(proxy, {
      get: (key, accessors, inherit) => ask('get', [key, accessors, inherit]),
      set: (key, value) => ask('set', [key, value]),
      remove: (key) => ask('delete', [key]),
      copy: () => serialized(ask('copy', [])),
    });
    codec.target(proxy, id);
    return codec.track(new ivm.Reference(proxy, { unsafeInherit: tag.inherit }), proxy, id);
  }
  if (tag.kind === 'Callback') {
    const call = (...args) => ask('call', args);
    return codec.track(new ivm.Callback(call, { async: tag.mode === 'ASYNC', ignored: tag.mode === 'IGNORED' }), call, id);
  }
  if (tag.kind === 'forwarded') {
    // An object of another out-of-process isolate of the parent, which the guest gets as a
    // forwarder (lib/facade/forward.js) whose calls the parent runs on it (see `forwarding`).
    const standIn = Object.create(forwardedPrototypes[tag.of]);
    codec.giveCompiledResults(standIn, tag);
    forwardedIds.set(standIn, id);
    return codec.track(standIn, standIn, id);
  }
  const forward = channel.forwarder(id, tag.name, tag.length);
  return codec.track(forward, forward, id);
}

// The objects standing for those of the parent's other out-of-process isolates: of a prototype
// of their class (lib/host.js's `forwardable` reads it) and nothing else, since only their
// forwarders call them, through `forwarding.dispatch`, which asks the parent; their ids there.
const forwardedPrototypes = {};
for (const kind of ['Isolate', 'Context', 'Script', 'Module', 'Reference', 'Dereference', 'Session']) {
  forwardedPrototypes[kind] = Object.freeze(Object.create(null));
  remotePrototypes.set(forwardedPrototypes[kind], kind);
}
const forwardedIds = new WeakMap();
// (A released forwarder crosses as a released object of its class, which answers for itself.)
forwarding.dispatch = (object, name, args) => reclassing(() => {
  if (forwardedIds.has(object)) {
    return asked(name, channel.call(forwardedIds.get(object), name, args), forwarding.askedFor);
  }
  return releasedCall(object, name, args, (arg) => (forwardedIds.has(arg) ? twinsOf(ivm).live[remotePrototypes.get(Object.getPrototypeOf(arg))] : arg));
});
binding.forwardingEnable();

let isolate;

// The methods of this side's objects given the context they run in.
const RUN_IN_CONTEXT = new Set(['run', 'runIgnored', 'runSync', 'instantiate', 'instantiateSync']);

// What stands for another isolate's object where one of this isolate's is needed (the context a
// script or module runs in, the module a resolver gives): its twin of an isolate of this process
// (lib/remote/twins.js), which fails as an object of another isolate does in one process.
function foreign(value) {
  return forwardedIds.has(value) ? twinsOf(ivm).live[remotePrototypes.get(Object.getPrototypeOf(value))] ?? value : value;
}

function serve(target, name, args) {
  if (target === 0 && name === 'create') {
    const [options] = args;
    // No onCatastrophicError: where V8 gives up, this process ends (after V8's last words on
    // stderr, which the parent reads), which returns all of its memory; and its synchronous calls
    // run on this thread instead of waiting for a pool thread.
    const defaults = Object.keys(options).every((key) => key === 'memoryLimit' && options.memoryLimit === 128);
    isolate = defaults ? ready : new ivm.Isolate(options);
    if (!defaults) {
      ready.dispose();
    }
    // The parent's Isolate given back here is this one, and this one given to it is its own.
    codec.holdAsIsolate(isolate);
    // For the parent to give, as this process's own V8 would have.
    return v8Flags.warnings;
  }
  if (target === 0 && name === 'collect' && typeof globalThis.gc === 'function') {
    // For the tests (the child has gc() only when the host runs with ISOLATED_VM_TEST_BINDINGS=1).
    globalThis.gc();
    return undefined;
  }
  const object = codec.object(target);
  if (name === 'createInspectorSession') {
    return new ChildSession(binding, object);
  }
  if (name.startsWith('get ')) {
    return object[name.slice(4)];
  }
  if (name.startsWith('set ')) {
    object[name.slice(4)] = args[0];
    return undefined;
  }
  if (RUN_IN_CONTEXT.has(name) && args.length > 0) {
    args[0] = foreign(args[0]);
  }
  if ((name === 'instantiate' || name === 'instantiateSync') && typeof args[1] === 'function') {
    const resolve = args[1];
    args[1] = (...resolving) => {
      const resolved = resolve(...resolving);
      return resolved instanceof Promise ? resolved.then(foreign) : foreign(resolved);
    };
  }
  // After `dispose`, the parent ends this process once the calls still pending are answered.
  return name === 'call' ? Reflect.apply(object, undefined, args) : object[name](...args);
}

const codec = new Codec(ivm, describe, stand);
const socket = new net.Socket({ fd: FD, readable: true, writable: false });
// The parent gone, there is nothing left to do.
const channel = new Channel(binding, FD, socket, codec, serve, () => process.exit(0), { holdLoop: true, lingerMicros: 200 });
// Deno makes what it needs to catch signals (a socket pair) when code first asks for one, which
// the filter would refuse later (Deno then panics): it is made now.
if (typeof globalThis.Deno !== 'undefined') {
  globalThis.Deno.addSignalListener('SIGUSR2', () => {});
}
binding.sandbox();
if (zone !== '') {
  process.env.TZ = zone;
}
// An isolate with the default options, made while the child waits as a spare: most isolates are
// asked for with those, and then start at once.
const ready = new ivm.Isolate();
// And the code that writes and reads the messages of a call, run a few times ahead for the same
// reason (the parent's first message, a `warm` call, runs the rest: see Channel.warm).
for (let i = 0; i < 3; i++) {
  const payload = Buffer.from(messages.serialize(codec.encode([0, i, 0, 'create', [{ memoryLimit: 128 }]])));
  codec.decode(messages.deserialize(payload, 0, payload.length));
}
