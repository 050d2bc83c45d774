'use strict';
// The host helpers of the native side: copies of host values (written by lib/clone.js, rebuilt
// by src/node/clone, which calls back here for the kinds of objects Node-API cannot make), and
// the `get`, `set` and `delete` of References to host objects. Only what Node, Bun and Deno all
// have is used.

const { types } = require('node:util');
const createSerializer = require('./clone');

const REGEXP_FLAG_CHARS = [[1, 'g'], [2, 'i'], [4, 'm'], [8, 'y'], [16, 'u'], [32, 's'], [128, 'd'], [256, 'v']];
// V8's error sub-tags (value-serializer.cc).
const ERROR_CONSTRUCTORS = { 0x45: EvalError, 0x52: RangeError, 0x46: ReferenceError, 0x53: SyntaxError, 0x54: TypeError, 0x55: URIError };
const structuredCloneFn = structuredClone;

// Objects that stand for objects of another process (lib/remote/child.js: the target of a
// Reference to a Node object of the parent), whose `get`, `set`, `delete` and copy are their
// handler's: that process applies the rules below, or copies, its own object.
const standIns = new WeakMap();
// The prototypes of the objects that stand for those of out-of-process isolates, with the names
// of their classes (added by lib/remote/parent.js), which copies refuse; and what runs their
// methods for in-process isolates (`forwardable`).
const remotePrototypes = new Map();
// `askedFor`: what forwarders' calls gave (lib/remote/forward.js) of classes not given anywhere
// else (an inspector session, what derefInto() gave), which is given back to them all the same.
const forwarding = { dispatch: undefined, askedFor: new WeakSet() };

module.exports = function createHost(binding, lib, facadePrototypes) {
  const serialize = createSerializer(binding, lib, facadePrototypes, standIns, remotePrototypes);

  // Moves an ArrayBuffer's memory to a new ArrayBuffer only we hold; the original is detached.
  function detach(buffer) {
    return structuredCloneFn(buffer, { transfer: [buffer] });
  }

  function regexp(source, flags) {
    let chars = '';
    for (const [bit, char] of REGEXP_FLAG_CHARS) {
      if (flags & bit) {
        chars += char;
      }
    }
    return new RegExp(source, chars);
  }

  // An error as V8's deserializer makes one: the constructor of the sub-tag, the message if
  // there was one, and the copied stack in place of a new one.
  function error(tag, message, stack) {
    const Ctor = ERROR_CONSTRUCTORS[tag] ?? Error;
    const made = message === undefined ? new Ctor() : new Ctor(message);
    Object.defineProperty(made, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
    return made;
  }

  const VIEWS = {
    Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
    ...(typeof Float16Array === 'function' ? { Float16Array } : {}),
  };

  // A view by constructor name; without `byteLength`, one that tracks a resizable buffer.
  function view(name, buffer, byteOffset, byteLength) {
    const View = VIEWS[name];
    if (View === undefined) {
      throw new TypeError(`${name} is not supported by this runtime`);
    }
    if (byteLength === undefined) {
      return new View(buffer, byteOffset);
    }
    return name === 'DataView' ? new View(buffer, byteOffset, byteLength) : new View(buffer, byteOffset, byteLength / View.BYTES_PER_ELEMENT);
  }

  function resizable(byteLength, maxByteLength) {
    return new ArrayBuffer(byteLength, { maxByteLength });
  }

  // The `get`, `set` and `delete` of a Reference to a Node object, with isolated-vm's rules:
  // proxies and getters only run with `accessors`; `inherit` follows the prototype chain.
  function hasProxy(object) {
    for (let item = object; item !== null; item = Object.getPrototypeOf(item)) {
      if (types.isProxy(item)) {
        return true;
      }
    }
    return false;
  }

  function isAccessor(descriptor) {
    return 'get' in descriptor || 'set' in descriptor;
  }

  function get(object, key, accessors, inherit) {
    const standIn = standIns.get(object);
    if (standIn !== undefined) {
      return standIn.get(key, accessors, inherit);
    }
    if (!accessors && hasProxy(object)) {
      throw new TypeError('Object is or has proxy');
    }
    if (accessors) {
      return inherit || Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
    }
    for (let item = object; item !== null; item = inherit ? Object.getPrototypeOf(item) : null) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      if (descriptor !== undefined) {
        if (isAccessor(descriptor)) {
          throw new TypeError('Property is getter');
        }
        return descriptor.value;
      }
    }
    return undefined;
  }

  function set(object, key, value) {
    const standIn = standIns.get(object);
    if (standIn !== undefined) {
      return standIn.set(key, value);
    }
    if (hasProxy(object)) {
      throw new TypeError('Object is or has proxy');
    }
    delete object[key];
    if (!Reflect.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })) {
      throw new TypeError('Set failed');
    }
  }

  function remove(object, key) {
    const standIn = standIns.get(object);
    if (standIn !== undefined) {
      return standIn.remove(key);
    }
    if (hasProxy(object)) {
      throw new TypeError('Object is or has proxy');
    }
    if (!Reflect.deleteProperty(object, key)) {
      throw new TypeError('Delete failed');
    }
  }

  // Whether a value stands for an object of an out-of-process isolate that can be given to
  // another isolate: not an inspector session, which is not given anywhere, as in one process,
  // unless a forwarder asked for it.
  function isRemote(value) {
    const kind = value !== null && typeof value === 'object' && !types.isProxy(value) ? remotePrototypes.get(Object.getPrototypeOf(value)) : undefined;
    return kind !== undefined && (kind !== 'Session' || forwarding.askedFor.has(value));
  }

  // Forwarders give the arguments of a call one by one (lib/facade/forward.js).
  const dispatchEach = (object, name, ...args) => forwarding.dispatch(object, name, args);

  // What a value standing for an object of an out-of-process isolate crosses to in-process
  // isolates as (src/bridge/forward.rs): a forwarder of its class, which calls `dispatch`, with
  // compiled code's `cachedData` results.
  function forwardable(value) {
    if (!isRemote(value)) {
      return undefined;
    }
    const kind = remotePrototypes.get(Object.getPrototypeOf(value));
    return { kind, dispatch: dispatchEach, cachedData: value.cachedData, cachedDataRejected: value.cachedDataRejected };
  }

  return {
    serialize, parse: JSON.parse, detach, regexp, error, view, resizable, get, set, remove, forwardable,
    Map, mapSet: Map.prototype.set, Set, setAdd: Set.prototype.add,
  };
};

module.exports.standIns = standIns;
module.exports.remotePrototypes = remotePrototypes;
module.exports.forwarding = forwarding;
