'use strict';
// Values crossing the channel of an out-of-process isolate (see channel.js). Data crosses as V8's
// serialization format; what cannot be serialized is held by the side it belongs to and crosses
// as a tag, an object with the key TAG:
//   { [TAG]: 'yours', id }             an object of the receiver, by its id there
//   { [TAG]: 'object', id, kind, ... } an object of the sender (a Reference, Context, Script,
//                                      Module, Callback or function); the receiver makes the
//                                      object that stands for it (`stand(tag)`)
//   { [TAG]: 'ivm' } / { [TAG]: 'lib' } the module or `ivm.lib`: the receiver's own
//   { [TAG]: 'copy', value }           an ExternalCopy: the receiver makes its own
//   { [TAG]: 'copyInto', value, transferIn }  what `copyInto()` gave: the receiver makes its own
//   { [TAG]: 'promise', id }           a promise, settled later by a RETURN for `id`
// An object held for the other side is let go of once the other side's stand-ins for it were
// collected (`track`, and the channel's `forget`), or when the isolate ends.

const TAG = '\u0000isolated-vm';

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
    this.newest = new Map(); // id there -> the newest stand-in for it, weakly
    this.holders = new Map(); // id there -> how many tracked objects still stand for it
    this.live = 0; // tracked objects not yet collected
    this.collection = new FinalizationRegistry((id) => this.collected(id));
    this.onRelease = () => {}; // told the ids of the other side's objects no longer used here
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
  // counted only). `held` is what users hold through it: once it is collected, and no other
  // stand-in for `id` lives, `onRelease(id)` is told.
  track(standIn, held, id) {
    this.live++;
    this.collection.register(held, id);
    if (id !== 0) {
      this.holders.set(id, (this.holders.get(id) ?? 0) + 1);
      this.newest.set(id, new WeakRef(standIn));
      this.standIns.set(standIn, id);
    }
    return standIn;
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

  encode(value, seen = new Map()) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return value;
    }
    const theirs = this.standIns.get(value);
    if (theirs !== undefined) {
      return { [TAG]: 'yours', id: theirs };
    }
    if (seen.has(value)) {
      return seen.get(value);
    }
    if (value === this.ivm || value === this.ivm.lib) {
      return { [TAG]: value === this.ivm ? 'ivm' : 'lib' };
    }
    if (value instanceof this.ivm.ExternalCopy) {
      return { [TAG]: 'copy', value: value.copy() };
    }
    const fields = this.describe(value);
    if (fields !== undefined) {
      return fields[TAG] === undefined ? { [TAG]: 'object', id: this.hold(value), ...fields } : fields;
    }
    if (Array.isArray(value)) {
      const array = [];
      seen.set(value, array);
      for (let i = 0; i < value.length; i++) {
        array[i] = this.encode(value[i], seen);
      }
      return array;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      const object = {};
      seen.set(value, object);
      for (const key of Object.keys(value)) {
        object[key] = this.encode(value[key], seen);
      }
      return object;
    }
    return value;
  }

  decode(value, seen = new Set()) {
    if (value === null || typeof value !== 'object' || seen.has(value)) {
      return value;
    }
    if (Array.isArray(value)) {
      seen.add(value);
      for (let i = 0; i < value.length; i++) {
        value[i] = this.decode(value[i], seen);
      }
      return value;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return value;
    }
    switch (value[TAG]) {
      case 'yours':
        return this.object(value.id);
      case 'ivm':
        return this.ivm;
      case 'lib':
        return this.ivm.lib;
      case 'copy':
        return new this.ivm.ExternalCopy(value.value);
      case 'copyInto':
        return new this.ivm.ExternalCopy(value.value).copyInto({ transferIn: value.transferIn });
      case 'object':
      case 'promise':
        return this.stand(value);
      default:
        seen.add(value);
        for (const key of Object.keys(value)) {
          value[key] = this.decode(value[key], seen);
        }
        return value;
    }
  }
}

module.exports = { Codec, TAG };
