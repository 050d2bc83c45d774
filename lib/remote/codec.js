'use strict';
// Values crossing the channel of an out-of-process isolate (see channel.js). Data crosses as our
// V8's own serialization format, the bytes of an ExternalCopy, which the same code rebuilds on
// the other side (`encode`); what cannot be copied is held by the side it belongs to and crosses
// as a tag, an object with the key TAG:
//   { [TAG]: 'yours', id }             an object of the receiver, by its id there
//   { [TAG]: 'yours', id, deref: true }  the value of the receiver's Reference `id` (see `target`)
//   { [TAG]: 'object', id, kind, ... } an object of the sender (a Reference, Context, Script,
//                                      Module, Callback or function, with its source); the
//                                      receiver makes the object that stands for it (`stand(tag)`)
//   { [TAG]: 'ivm' } / { [TAG]: 'lib' } the module or `ivm.lib`: the receiver's own
//   { [TAG]: 'copy', parts }           an ExternalCopy (binding.externalCopyExport's parts, its
//                                      objects encoded): the receiver makes its own of the same
//                                      bytes
//   { [TAG]: 'copyInto', parts, transferIn }  what `copyInto()` gave: the receiver makes its own
//   { [TAG]: 'data', parts, value }    `value` with its data parts, each { [TAG]: 'leaf', index },
//                                      in one copy (`parts`)
//   { [TAG]: 'promise', id }           a promise of the sender, settled later by a RETURN for `id`
//   { [TAG]: 'released' }              a released Reference: the receiver makes one of its own
//   { [TAG]: 'symbol', ... }            a symbol: a well-known or registered one as itself, any
//                                      other as the receiver's stand-in for it (`symbolTag`)
// An object held for the other side is let go of once the other side's stand-ins for it were
// collected (`track`, and the channel's `forget`), or when the isolate ends.

const { isProxy, isArgumentsObject, isModuleNamespaceObject, isNativeError, isPromise } = require('node:util').types;
const binding = require('../binding');
const { nameBySource } = require('../clone');

const functionToString = Function.prototype.call.bind(Function.prototype.toString);

const ERROR_TYPES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

const TAG = '\u0000isolated-vm';
const COMPILED_RESULTS = ['cachedData', 'cachedDataRejected'];
// How a part of a value crosses (Codec#classify).
const AS_IS = 0;
const DATA = 1;
const WALK = 2;

class Codec {
  // `describe(value)`: the tag fields of an object of this side that the other side may use (or
  // a whole tag, for one that crosses by value), or undefined for plain data. `stand(tag)`: this
  // side's object for an object of the other.
  constructor(ivm, describe, stand) {
    this.ivm = ivm;
    this.describe = describe;
    this.stand = stand;
    this.held = new Map(); // id -> object of this side
    this.ids = new WeakMap(); // object of this side -> id
    this.nextId = 1;
    // Stand-ins for the other side's objects (see `track`).
    this.standIns = new WeakMap(); // stand-in -> the id of its object there
    this.targets = new WeakMap(); // value of this side standing for that of a Reference there -> its id
    this.newest = new Map(); // id there -> the newest stand-in for it, weakly
    this.holders = new Map(); // id there -> how many tracked objects still stand for it
    this.live = 0; // tracked objects not yet collected
    this.collection = new FinalizationRegistry((id) => this.collected(id));
    this.onRelease = () => {}; // told the ids of the other side's objects no longer used here
    this.onPromise = () => 0; // gives the id under which a promise of this side is settled there
    this.onCollected = () => {}; // told after each tracked object is collected
  }

  hold(object) {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.held.set(id, object);
      this.ids.set(object, id);
    }
    return id;
  }

  // Holds `object` as 0, the id by which both sides name the isolate itself (never let go of).
  holdAsIsolate(object) {
    this.held.set(0, object);
    this.ids.set(object, 0);
  }

  // Lets go of the object held for `id` (the other side's stand-in for it was collected).
  forget(id) {
    this.ids.delete(this.held.get(id));
    this.held.delete(id);
  }

  object(id) {
    const object = this.held.get(id);
    if (object === undefined) {
      throw new Error('isolated-vm: an object of an out-of-process isolate is no longer held');
    }
    return object;
  }

  // The stand-in made last for the other side's object `id`, if it still lives (the same object
  // stands for the same one while it lives).
  standIn(id) {
    return this.newest.get(id)?.deref();
  }

  // Makes `standIn` this side's object for the other side's object `id` (0: the isolate itself,
  // which the child never lets go of). `held` is what users hold through it: once it is
  // collected, and no other stand-in for `id` lives, `onRelease(id)` is told.
  track(standIn, held, id) {
    this.live++;
    this.collection.register(held, id);
    this.standIns.set(standIn, id);
    this.newest.set(id, new WeakRef(standIn));
    if (id !== 0) {
      this.holders.set(id, (this.holders.get(id) ?? 0) + 1);
    }
    return standIn;
  }

  // Makes `value` this side's stand-in for the value of the other side's Reference `id`, which it
  // crosses back as (the Reference that stands for the Reference here derefs to it).
  target(value, id) {
    this.targets.set(value, id);
  }

  collected(id) {
    this.live--;
    const left = (this.holders.get(id) ?? 1) - 1;
    if (id !== 0 && left > 0) {
      this.holders.set(id, left);
    } else if (id !== 0) {
      this.holders.delete(id);
      this.newest.delete(id);
      this.onRelease(id);
    }
    this.onCollected();
  }

  // The value as it crosses. Data crosses as our V8's own serialization format (ExternalCopy's
  // bytes, rebuilt by the same code on the other side), except where the message's own format
  // (messages.js) keeps it the same (primitives, and plain objects and arrays of them): that is
  // faster for the small values most calls carry. An object holding objects of either side is
  // walked, its parts crossing as tags or as data; all data parts of one value cross in one
  // copy, so that what they share stays shared (see `classify`).
  encode(value) {
    const state = { classes: new Map(), tags: new Map(), seen: new Map(), leaves: [] };
    if (this.classify(value, state) === AS_IS) {
      return value;
    }
    const encoded = this.part(value, state);
    if (state.leaves.length === 0) {
      return encoded;
    }
    const copy = new this.ivm.ExternalCopy(state.leaves);
    const parts = binding.externalCopyExport(copy);
    // Not left to count in ExternalCopy.totalExternalSize until it is collected.
    copy.release();
    return { [TAG]: 'data', parts, value: encoded };
  }

  // How `value` crosses: AS_IS, DATA (a copy), or WALK (it holds objects of either side, or
  // is one; or it is in a cycle, which a walk keeps). Side-effect free but for `describe`, which
  // is called once per object (its tag is kept in `state.tags`).
  classify(value, state) {
    if (typeof value === 'symbol') {
      state.tags.set(value, this.symbolTag(value));
      state.classes.set(value, WALK);
      return WALK;
    }
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return AS_IS;
    }
    const known = state.classes.get(value);
    if (known !== undefined) {
      return known;
    }
    // A proxy is data, which our copies refuse with V8's message (its traps are not run here),
    // unless it stands for a value of the other side.
    const tag = typeof value === 'object' && isProxy(value) ? this.targetTag(value) : this.tag(value);
    if (tag !== undefined) {
      state.tags.set(value, tag);
      state.classes.set(value, WALK);
      return WALK;
    }
    if (!isPlain(value)) {
      state.classes.set(value, DATA);
      return DATA;
    }
    // While its parts are classified: a part that leads back here is in a cycle.
    state.classes.set(value, WALK);
    let found = AS_IS;
    for (const key of Object.keys(value)) {
      found = Math.max(found, this.classify(value[key], state));
    }
    state.classes.set(value, found);
    return found;
  }

  targetTag(value) {
    const id = this.targets.get(value);
    return id === undefined ? undefined : { [TAG]: 'yours', id, deref: true };
  }

  // The tag an object crosses as, if it is one of either side (or the module, or a copy).
  tag(value) {
    const target = this.targetTag(value);
    if (target !== undefined) {
      return target;
    }
    const theirs = this.standIns.get(value);
    if (theirs !== undefined) {
      return { [TAG]: 'yours', id: theirs };
    }
    // Passed on released, as in one process (nothing of it is held).
    if (value instanceof this.ivm.Reference && isReleased(value)) {
      return { [TAG]: 'released' };
    }
    if (value === this.ivm) {
      return { [TAG]: 'ivm' };
    }
    // (A guest's `lib` comes back to its host as an object of its own, of the same class.)
    if (value instanceof this.ivm.lib.constructor) {
      return { [TAG]: 'lib' };
    }
    if (isPromise(value)) {
      return { [TAG]: 'promise', id: this.onPromise(value) };
    }
    if (value instanceof this.ivm.ExternalCopy) {
      return { [TAG]: 'copy', parts: this.exported(binding.externalCopyExport(value)) };
    }
    const fields = this.describe(value);
    if (fields === undefined) {
      return undefined;
    }
    if (fields[TAG] !== undefined) {
      return fields;
    }
    // A function's stand-in is named by its source where it cannot be cloned (lib/clone.js).
    const source = fields.kind === 'function' ? functionToString(value) : undefined;
    return { [TAG]: 'object', id: this.hold(value), ...fields, source };
  }

  // Compiled code's `cachedData` results cross with the tag of its object (`compiledResults`,
  // into `fields`) and are given to the receiver's object for it (`giveCompiledResults`).
  compiledResults(value, fields) {
    for (const key of COMPILED_RESULTS) {
      if (key in value) {
        fields[key] = this.encode(value[key]);
      }
    }
    return fields;
  }

  giveCompiledResults(standIn, tag) {
    for (const key of COMPILED_RESULTS) {
      if (key in tag) {
        standIn[key] = this.decode(tag[key]);
      }
    }
  }

  // externalCopyExport's parts as they cross: the isolated-vm objects a copy holds (its seventh
  // part) cross as any does (see `imported`).
  exported(parts) {
    if (parts.length > 6) {
      parts[6] = parts[6].map((handle) => this.encode(handle));
    }
    return parts;
  }

  imported(parts) {
    if (parts.length > 6) {
      parts[6] = parts[6].map((handle) => this.decode(handle));
    }
    return binding.externalCopyImport(...parts);
  }

  // A classified part of a value being encoded (a primitive, or an object a getter gave anew,
  // is not classified: it crosses as it is).
  part(value, state) {
    const kind = state.classes.get(value);
    if (kind === undefined || kind === AS_IS) {
      return value;
    }
    if (kind === DATA) {
      return this.leaf(value, state);
    }
    const tag = state.tags.get(value);
    if (tag !== undefined) {
      return tag;
    }
    if (state.seen.has(value)) {
      return state.seen.get(value);
    }
    // Made without a prototype, so that a "__proto__" key stays a key.
    const walked = Array.isArray(value) ? new Array(value.length) : Object.create(null);
    state.seen.set(value, walked);
    for (const key of Object.keys(value)) {
      walked[key] = this.part(value[key], state);
    }
    return walked;
  }

  // A part that crosses in the value's copy, by its index there (an error with its class:
  // see `errorClass`).
  leaf(value, state) {
    if (state.seen.has(value)) {
      return state.seen.get(value);
    }
    const placeholder = { [TAG]: 'leaf', index: state.leaves.push(value) - 1 };
    if (isNativeError(value)) {
      placeholder.error = errorClass(value);
    }
    state.seen.set(value, placeholder);
    return placeholder;
  }

  // A well-known or registered symbol crosses as itself; any other is held here, as an object of
  // this side, and the receiver's stand-in for it is a symbol of the same description (the same
  // one each time it crosses while it lives, and this one when it crosses back).
  symbolTag(symbol) {
    const wellKnown = WELL_KNOWN_SYMBOLS.get(symbol);
    const key = Symbol.keyFor(symbol);
    if (wellKnown !== undefined || key !== undefined) {
      return { [TAG]: 'symbol', wellKnown, key };
    }
    const theirs = this.standIns.get(symbol);
    return theirs !== undefined ? { [TAG]: 'yours', id: theirs } : { [TAG]: 'symbol', id: this.hold(symbol), description: symbol.description };
  }

  symbolOf({ wellKnown, key, id, description }) {
    if (wellKnown !== undefined) {
      return Symbol[wellKnown];
    }
    if (key !== undefined) {
      return Symbol.for(key);
    }
    const known = this.standIn(id);
    if (known !== undefined) {
      return known;
    }
    const symbol = Symbol(description);
    return this.track(symbol, symbol, id);
  }

  // The stand-in for an object of the other side.
  standFor(tag) {
    const standIn = this.stand(tag);
    if (tag.source !== undefined) {
      nameBySource(standIn, tag.source);
    }
    return standIn;
  }

  decode(value, state = { seen: new Set(), leaves: undefined }) {
    if (value === null || typeof value !== 'object' || state.seen.has(value)) {
      return value;
    }
    if (Array.isArray(value)) {
      state.seen.add(value);
      for (let i = 0; i < value.length; i++) {
        // A hole stays a hole.
        if (i in value) {
          value[i] = this.decode(value[i], state);
        }
      }
      return value;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return value;
    }
    switch (value[TAG]) {
      case 'yours':
        return value.deref ? this.object(value.id).deref() : this.object(value.id);
      case 'ivm':
        return this.ivm;
      case 'lib':
        return this.ivm.lib;
      case 'copy':
        return this.imported(value.parts);
      case 'copyInto':
        return this.imported(value.parts).copyInto({ transferIn: value.transferIn, release: true });
      case 'data':
        return this.decode(value.value, { seen: new Set(), leaves: binding.externalCopyImport(...value.parts).copy({ release: true }) });
      case 'leaf':
        return named(state.leaves[value.index], value);
      case 'object':
        return this.standFor(value);
      case 'promise':
        return this.stand(value);
      case 'released':
        return releasedReference(this.ivm);
      case 'symbol':
        return this.symbolOf(value);
      default:
        state.seen.add(value);
        for (const key of Object.keys(value)) {
          value[key] = this.decode(value[key], state);
        }
        return value;
    }
  }
}

// Whether a Reference was released (all that its `typeof` throws for).
function isReleased(reference) {
  try {
    return reference.typeof === undefined;
  } catch {
    return true;
  }
}

function releasedReference(ivm) {
  const reference = new ivm.Reference(undefined);
  reference.release();
  return reference;
}

const WELL_KNOWN_SYMBOLS = new Map(Object.getOwnPropertyNames(Symbol).filter((name) => typeof Symbol[name] === 'symbol').map((name) => [Symbol[name], name]));

// Whether an object is a plain object or array, which node:v8 and our copies write alike
// (proxies, `arguments` and module namespaces our copies refuse with V8's messages).
function isPlain(value) {
  if (typeof value !== 'object' || isProxy(value) || isArgumentsObject(value) || isModuleNamespaceObject(value)) {
    return false;
  }
  if (Array.isArray(value)) {
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// What makes an error thrown across a boundary the error it is (src/host/errors.rs reads its
// constructor's name, and for a class not built in, its name), which our copies, as V8's, do not
// keep (they take the class from the name and drop a name of its own): its constructor's name,
// its name, and the descriptor of a name of its own.
function errorClass(error) {
  const own = Object.getOwnPropertyDescriptor(error, 'name');
  return { constructor: String(error.constructor?.name), name: String(error.name), own: own !== undefined && 'value' in own ? own : undefined };
}

// A leaf with the class and name its original had (see `errorClass`): of a class not built in,
// a class of the same name standing for it.
function named(value, { error }) {
  if (error !== undefined) {
    const type = ERROR_TYPES.find((builtIn) => builtIn.name === error.constructor);
    Object.setPrototypeOf(value, type?.prototype ?? standInClass(error.constructor, error.name));
    if (error.own !== undefined) {
      Object.defineProperty(value, 'name', error.own);
    }
  }
  return value;
}

function standInClass(constructorName, name) {
  const constructor = Object.defineProperty(function () {}, 'name', { value: constructorName });
  return Object.create(Error.prototype, { constructor: { value: constructor, writable: true, configurable: true }, name: { value: name, writable: true, configurable: true } });
}

module.exports = { Codec, TAG };
