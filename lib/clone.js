'use strict';
// Structured clones of host values (ExternalCopy, `copy: true`, callback arguments): the value
// is written in our V8's serialization format (v8/src/objects/value-serializer.cc), which our
// isolates read as copies of their own, following V8's ValueSerializer step by step. The native
// side (src/node/copy.rs) takes the bytes and what they refer to out of band; it rebuilds
// copies in the host itself (src/node/clone).
//
// This is JavaScript rather than a walk through Node-API because Node-API costs a call per
// property read: a native walk of a 1 MB object graph took four times as long as this.
// It only uses what Node, Bun and Deno all have (no `node:v8`, which Bun lacks), so a copy is
// the same in each.

const { types } = require('node:util');

const { isProxy, isMap, isSet, isRegExp, isDate, isNativeError, isBoxedPrimitive, isNumberObject, isStringObject, isBooleanObject,
  isBigIntObject, isAnyArrayBuffer, isArrayBuffer, isSharedArrayBuffer, isDataView, isWeakMap, isWeakSet, isPromise,
  isGeneratorObject, isModuleNamespaceObject, isArgumentsObject, isMapIterator, isSetIterator } = types;

// Built-ins, captured before user code can change them.
const { getPrototypeOf, getOwnPropertyDescriptor, keys: objectKeys } = Object;
const isArray = Array.isArray;
// Object.is compares strings of any kind without type feedback (`===` on two strings is compiled
// for the kind of strings it first saw, and the code is thrown away when another comes).
const sameValue = Object.is;
const NO_KEYS = Object.freeze([]);
const isView = ArrayBuffer.isView;
const uncurry = (fn) => fn === undefined ? undefined : Function.prototype.call.bind(fn);
const MapCtor = Map;
const SetCtor = Set;
const SymbolToStringTag = Symbol.toStringTag;
const StringCtor = String;
const TypeErrorCtor = TypeError;
const Uint8ArrayCtor = Uint8Array;
const ObjectPrototype = Object.prototype;
const getter = (prototype, name) => uncurry(getOwnPropertyDescriptor(prototype, name)?.get);
const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
const typedArrayName = getter(TypedArrayPrototype, Symbol.toStringTag);
const typedArrayOffset = getter(TypedArrayPrototype, 'byteOffset');
const typedArrayLength = getter(TypedArrayPrototype, 'byteLength');
const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const dataViewOffset = getter(DataView.prototype, 'byteOffset');
const dataViewLength = getter(DataView.prototype, 'byteLength');
const dataViewBuffer = getter(DataView.prototype, 'buffer');
const bufferLength = getter(ArrayBuffer.prototype, 'byteLength');
const bufferResizable = getter(ArrayBuffer.prototype, 'resizable');
const bufferMaxLength = getter(ArrayBuffer.prototype, 'maxByteLength');
const bufferDetached = getter(ArrayBuffer.prototype, 'detached');
const regExpSource = getter(RegExp.prototype, 'source');
const regExpFlags = [['global', 1], ['ignoreCase', 2], ['multiline', 4], ['sticky', 8], ['unicode', 16], ['dotAll', 32], ['hasIndices', 128], ['unicodeSets', 256]]
  .map(([name, bit]) => [getter(RegExp.prototype, name), bit])
  .filter(([get]) => get !== undefined);
const mapForEach = uncurry(Map.prototype.forEach);
const setForEach = uncurry(Set.prototype.forEach);
const setValues = uncurry(Set.prototype.values);
const setIteratorNext = uncurry(getPrototypeOf(new Set().values()).next);
const dateValue = uncurry(Date.prototype.getTime);
const numberValue = uncurry(Number.prototype.valueOf);
const stringValue = uncurry(String.prototype.valueOf);
const booleanValue = uncurry(Boolean.prototype.valueOf);
const bigintValue = uncurry(BigInt.prototype.valueOf);
const functionToString = uncurry(Function.prototype.toString);
const ObjectToString = Object.prototype.toString;
const objectToString = uncurry(ObjectToString);
const weakRefDeref = uncurry(WeakRef.prototype.deref);
const registryUnregister = uncurry(FinalizationRegistry.prototype.unregister);
const bufferResize = uncurry(ArrayBuffer.prototype.resize);
const structuredCloneFn = globalThis.structuredClone;
const weakMapGet = uncurry(WeakMap.prototype.get);
const weakMapSet = uncurry(WeakMap.prototype.set);

// Functions standing for functions of another process (lib/remote/codec.js), by the source of
// the function they stand for, which names them in "could not be cloned" messages as in one
// process.
const sources = new WeakMap();

// Tags of V8's format.
const TAG = {
  PADDING: 0x00, UNDEFINED: 0x5f, NULL: 0x30, TRUE: 0x54, FALSE: 0x46, INT32: 0x49, DOUBLE: 0x4e, BIGINT: 0x5a,
  ONE_BYTE_STRING: 0x22, TWO_BYTE_STRING: 0x63, OBJECT_REFERENCE: 0x5e, BEGIN_OBJECT: 0x6f, END_OBJECT: 0x7b,
  BEGIN_SPARSE_ARRAY: 0x61, END_SPARSE_ARRAY: 0x40, BEGIN_DENSE_ARRAY: 0x41, END_DENSE_ARRAY: 0x24, DATE: 0x44,
  TRUE_OBJECT: 0x79, FALSE_OBJECT: 0x78, NUMBER_OBJECT: 0x6e, BIGINT_OBJECT: 0x7a, STRING_OBJECT: 0x73, REGEXP: 0x52,
  BEGIN_MAP: 0x3b, END_MAP: 0x3a, BEGIN_SET: 0x27, END_SET: 0x2c, ARRAY_BUFFER: 0x42, RESIZABLE_ARRAY_BUFFER: 0x7e,
  ARRAY_BUFFER_TRANSFER: 0x74, ARRAY_BUFFER_VIEW: 0x56, SHARED_ARRAY_BUFFER: 0x75, HOST_OBJECT: 0x5c, ERROR: 0x72,
};
const VERSION = 15;
// Error sub-tags, by error name.
const ERROR_PROTOTYPES = { EvalError: 0x45, RangeError: 0x52, ReferenceError: 0x46, SyntaxError: 0x53, TypeError: 0x54, URIError: 0x55 };
const ERROR_MESSAGE = 0x6d;
const ERROR_STACK = 0x73;
const ERROR_CAUSE = 0x63;
const ERROR_END = 0x2e;
// View sub-tags, by typed array name (a DataView is '?').
const VIEW_TAGS = {
  Int8Array: 0x62, Uint8Array: 0x42, Uint8ClampedArray: 0x43, Int16Array: 0x77, Uint16Array: 0x57, Int32Array: 0x64, Uint32Array: 0x44,
  Float16Array: 0x68, Float32Array: 0x66, Float64Array: 0x46, BigInt64Array: 0x71, BigUint64Array: 0x51,
};
const DATA_VIEW_TAG = 0x3f;
const VIEW_LENGTH_TRACKING = 1;
const VIEW_BACKED_BY_RESIZABLE = 2;

// What `serialize` returns (read by src/node/copy.rs):
//   [BUFFER, arrayBuffer, moved, viewTag, byteOffset, byteLength]  a top-level ArrayBuffer, or a view over one
//   [SHARED, sharedArrayBuffer, bytes, viewTag, byteOffset, byteLength]  the same over a SharedArrayBuffer
//   [SERIALIZED, bytes, handles, shared]  anything else
// `bytes` of a SharedArrayBuffer is a Uint8Array over all of it, for its address; `shared` lists
// the SharedArrayBuffers of a serialized value as such pairs, flattened, by id.
const BUFFER = 1;
const SHARED = 2;
const SERIALIZED = 3;

// How V8 names a value in "could not be cloned" messages (Object::NoSideEffectsToString). A
// proxy is named as a plain object or array (V8 names its target, which JavaScript cannot see).
function describe(value) {
  if (isProxy(value) && typeof value === 'object') {
    return isArray(value) ? '[object Array]' : '#<Object>';
  }
  if (typeof value === 'function') {
    const source = weakMapGet(sources, value) ?? functionToString(value);
    return source.length > 128 ? `${source.slice(0, 111)}...<omitted>...${source.slice(-2)}` : source;
  }
  if (typeof value === 'symbol') {
    const description = value.description ?? '';
    return `Symbol(${description.length > 128 ? `${description.slice(0, 56)}...<omitted>...${description.slice(-56)}` : description})`;
  }
  if (value !== null && typeof value === 'object' && !isProxy(value)) {
    const constructor = dataProperty(value, 'constructor');
    if (dataProperty(value, 'toString') === ObjectToString && typeof constructor === 'function') {
      const name = getOwnPropertyDescriptor(constructor, 'name')?.value;
      if (typeof name === 'string' && name !== '') {
        return `#<${name}>`;
      }
    }
  }
  try {
    return objectToString(value);
  } catch {
    return '[object Object]';
  }
}

// A data property found along the prototype chain, without running getters.
function dataProperty(object, key) {
  for (let item = object; item !== null; item = getPrototypeOf(item)) {
    if (isProxy(item)) {
      return undefined;
    }
    const descriptor = getOwnPropertyDescriptor(item, key);
    if (descriptor !== undefined) {
      return descriptor.value;
    }
  }
  return undefined;
}

function uncloneable(value) {
  return new TypeErrorCtor(`${describe(value)} could not be cloned.`);
}

// Objects V8's serializer refuses, besides proxies, functions and symbols. (WeakRef and
// FinalizationRegistry have no check of their own: their tag is confirmed by a method that only
// works on them.)
function isExotic(value) {
  if (isWeakMap(value) || isWeakSet(value) || isPromise(value) || isGeneratorObject(value) || isModuleNamespaceObject(value)
      || isArgumentsObject(value) || isMapIterator(value) || isSetIterator(value)) {
    return true;
  }
  const tag = objectToString(value);
  const brand = tag === '[object WeakRef]' ? weakRefDeref : tag === '[object FinalizationRegistry]' ? registryUnregister : undefined;
  if (brand !== undefined) {
    try {
      brand(value, {});
      return true;
    } catch {}
  }
  return false;
}

// Whether a view over a resizable buffer, up to its end, follows the buffer's length. JavaScript
// cannot ask, but the runtime's own structured clone keeps it: a clone of the view, its buffer
// grown, tells (only where the buffer can still grow: at its maximum, a view reads as fixed).
function isLengthTracking(view, buffer) {
  const maxByteLength = bufferMaxLength(buffer);
  if (structuredCloneFn === undefined || bufferResize === undefined || maxByteLength === bufferLength(buffer)) {
    return false;
  }
  const clone = structuredCloneFn(view);
  const typed = typedArrayName(clone) !== undefined;
  const lengthOf = typed ? typedArrayLength : dataViewLength;
  const before = lengthOf(clone);
  bufferResize(typed ? typedArrayBuffer(clone) : dataViewBuffer(clone), maxByteLength);
  return lengthOf(clone) !== before;
}

function isDetached(buffer) {
  if (bufferDetached !== undefined) {
    return bufferDetached(buffer);
  }
  // Before `detached` (Node 20): only a detached buffer fails to clone this way.
  if (bufferLength(buffer) !== 0) {
    return false;
  }
  try {
    structuredClone(buffer);
    return false;
  } catch {
    return true;
  }
}

function varintSize(value) {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

// The bytes of the last copy, reused by the next one (copies are taken by the native side as
// soon as they are written); none is kept above 4 MB.
let spare = new Uint8ArrayCtor(64 * 1024);
const SPARE_LIMIT = 4 * 1024 * 1024;

// One copy being written. The bytes grow as needed; writes reserve room first.
class Writer {
  constructor(isHandle, lib, transfers) {
    this.bytes = spare ?? new Uint8ArrayCtor(64 * 1024);
    spare = undefined;
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
    this.seen = new SetCtor();
    this.ids = undefined;
    this.order = undefined;
    this.isHandle = isHandle;
    this.lib = lib;
    this.plainForIn = true;
    for (const key in ObjectPrototype) { // eslint-disable-line no-unused-vars
      this.plainForIn = false;
      break;
    }
    this.transfers = transfers;
    this.handles = [];
    this.shared = [];
  }

  reserve(count) {
    if (this.pos + count > this.bytes.length) {
      this.grow(count);
    }
  }

  grow(count) {
    let size = this.bytes.length * 2;
    while (size < this.pos + count) {
      size *= 2;
    }
    const bytes = new Uint8ArrayCtor(size);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  tag(tag) {
    this.reserve(1);
    this.bytes[this.pos++] = tag;
  }

  varint(value) {
    this.reserve(10);
    const bytes = this.bytes;
    let pos = this.pos;
    if (value < 0x80) {
      bytes[pos] = value;
      this.pos = pos + 1;
      return;
    }
    while (value >= 0x80) {
      bytes[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    bytes[pos++] = value;
    this.pos = pos;
  }

  double(value) {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  // Strings are written one byte per character when they all fit, else as UTF-16.
  string(string) {
    const length = string.length;
    this.reserve(length + 6);
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    bytes[pos++] = TAG.ONE_BYTE_STRING;
    if (length < 0x80) {
      bytes[pos++] = length;
    } else {
      let size = length;
      while (size >= 0x80) {
        bytes[pos++] = (size & 0x7f) | 0x80;
        size >>>= 7;
      }
      bytes[pos++] = size;
    }
    for (let i = 0; i < length; i++) {
      const unit = string.charCodeAt(i);
      if (unit > 0xff) {
        this.pos = start;
        this.twoByteString(string);
        return;
      }
      bytes[pos++] = unit;
    }
    this.pos = pos;
  }

  twoByteString(string) {
    const byteLength = string.length * 2;
    this.reserve(byteLength + 8);
    // V8's reader expects two-byte contents at an even offset.
    if ((this.pos + 1 + varintSize(byteLength)) % 2 === 1) {
      this.bytes[this.pos++] = TAG.PADDING;
    }
    this.bytes[this.pos++] = TAG.TWO_BYTE_STRING;
    this.varint(byteLength);
    const bytes = this.bytes;
    let pos = this.pos;
    for (let i = 0; i < string.length; i++) {
      const unit = string.charCodeAt(i);
      bytes[pos++] = unit & 0xff;
      bytes[pos++] = unit >>> 8;
    }
    this.pos = pos;
  }

  number(number) {
    if ((number | 0) === number && !sameValue(number, -0)) {
      this.reserve(6);
      const bytes = this.bytes;
      let pos = this.pos;
      bytes[pos++] = TAG.INT32;
      let zigzag = ((number << 1) ^ (number >> 31)) >>> 0;
      if (zigzag < 0x80) {
        bytes[pos++] = zigzag;
      } else {
        while (zigzag >= 0x80) {
          bytes[pos++] = (zigzag & 0x7f) | 0x80;
          zigzag >>>= 7;
        }
        bytes[pos++] = zigzag;
      }
      this.pos = pos;
    } else {
      this.tag(TAG.DOUBLE);
      this.double(number);
    }
  }

  // A BigInt's contents: sign and byte length, then 64-bit digits, least significant first.
  bigint(bigint) {
    const negative = bigint < 0n;
    let magnitude = negative ? -bigint : bigint;
    const words = [];
    while (magnitude > 0n) {
      words.push(magnitude & 0xffffffffffffffffn);
      magnitude >>= 64n;
    }
    this.varint(words.length * 16 + (negative ? 1 : 0));
    this.reserve(words.length * 8);
    for (const word of words) {
      this.view.setBigUint64(this.pos, word, true);
      this.pos += 8;
    }
  }

  // Tested most common first; `typeof` compared to constants is a type check once optimized (a
  // `switch` on it is a string comparison).
  value(value) {
    if (typeof value === 'string') {
      this.string(value);
    } else if (typeof value === 'number') {
      this.number(value);
    } else if (typeof value === 'object') {
      if (value === null) {
        this.tag(TAG.NULL);
      } else {
        this.object(value);
      }
    } else if (typeof value === 'boolean') {
      this.tag(value ? TAG.TRUE : TAG.FALSE);
    } else if (typeof value === 'undefined') {
      this.tag(TAG.UNDEFINED);
    } else if (typeof value === 'bigint') {
      this.tag(TAG.BIGINT);
      this.bigint(value);
    } else {
      throw uncloneable(value);
    }
  }

  // Every object gets the next id when first written, as V8 numbers them; a repeat is written as
  // a reference to it. Only repeats need ids, so objects go in a Set, one operation each (a
  // repeat leaves its size unchanged), and ids come from the Set's order when a repeat needs one.
  reference(object) {
    let ids = this.ids;
    if (ids === undefined) {
      ids = this.ids = new MapCtor();
      this.order = setValues(this.seen);
    }
    let id = ids.get(object);
    while (id === undefined) {
      // The iterator goes on over objects added since it was made.
      const next = setIteratorNext(this.order).value;
      ids.set(next, ids.size);
      if (next === object) {
        id = ids.size - 1;
      }
    }
    this.tag(TAG.OBJECT_REFERENCE);
    this.varint(id);
  }

  // Arrays and plain objects, the common kinds, are told here with the fewest checks; the rest
  // in `otherObject`.
  object(object) {
    // A view's id comes after its buffer's (see arrayBufferView).
    if (isView(object)) {
      if (!this.seen.has(object)) {
        this.arrayBufferView(object);
      } else {
        this.reference(object);
      }
      return;
    }
    const seen = this.seen;
    const size = seen.size;
    seen.add(object);
    if (seen.size === size) {
      this.reference(object);
      return;
    }
    if (isProxy(object)) {
      throw uncloneable(object);
    }
    if (isArray(object)) {
      this.array(object);
      return;
    }
    // Plain objects are told by their prototype (see the README on what that implies). Arguments
    // objects have that prototype too: only objects with their property go to the native check
    // (`in` runs no code on an ordinary object).
    const prototype = getPrototypeOf(object);
    if (prototype === ObjectPrototype && this.plainForIn && !('callee' in object) && object !== this.lib) {
      this.plainObject(object);
    } else {
      this.otherObject(object, prototype);
    }
  }

  otherObject(object, prototype) {
    // Module namespaces have a null prototype; only objects with their @@toStringTag go to the
    // native check.
    if (prototype === ObjectPrototype ? !isArgumentsObject(object)
      : prototype === null && !(SymbolToStringTag in object && isModuleNamespaceObject(object))) {
      if (object === this.lib) {
        this.hostObject(object);
      } else if (prototype === null || this.plainForIn) {
        this.plainObject(object);
      } else {
        this.properties(object, objectKeys(object), TAG.BEGIN_OBJECT, TAG.END_OBJECT);
      }
      return;
    }
    if (isMap(object)) {
      this.collection(object, mapForEach, TAG.BEGIN_MAP, TAG.END_MAP, true);
    } else if (isSet(object)) {
      this.collection(object, setForEach, TAG.BEGIN_SET, TAG.END_SET, false);
    } else if (isDate(object)) {
      this.tag(TAG.DATE);
      this.double(dateValue(object));
    } else if (isRegExp(object)) {
      this.regexp(object);
    } else if (isNativeError(object)) {
      this.error(object);
    } else if (isBoxedPrimitive(object)) {
      this.boxed(object);
    } else if (isAnyArrayBuffer(object)) {
      this.arrayBuffer(object);
    } else if (this.isHandle(object, prototype)) {
      this.hostObject(object);
    } else if (isExotic(object)) {
      throw uncloneable(object);
    } else {
      this.properties(object, objectKeys(object), TAG.BEGIN_OBJECT, TAG.END_OBJECT);
    }
  }

  // A plain object's own enumerable properties, by `for...in`, which is faster than reading them
  // by key (used only while Object.prototype has no enumerable properties).
  plainObject(object) {
    this.tag(TAG.BEGIN_OBJECT);
    let count = 0;
    for (const key in object) {
      this.string(key);
      this.value(object[key]);
      count++;
    }
    this.tag(TAG.END_OBJECT);
    this.varint(count);
  }

  // Keyed properties, then the end tag and their count (and, for arrays, the length).
  properties(object, keys, begin, end, length) {
    if (begin !== undefined) {
      this.tag(begin);
      if (length !== undefined) {
        this.varint(length);
      }
    }
    const count = keys.length;
    for (let i = 0; i < count; i++) {
      const key = keys[i];
      this.string(key);
      this.value(object[key]);
    }
    this.tag(end);
    this.varint(count);
    if (length !== undefined) {
      this.varint(length);
    }
  }

  // Arrays with every index up to their length are written densely, others by their keys.
  array(array) {
    const length = array.length;
    const keys = objectKeys(array);
    // Indices come first in ascending order: the first `length` keys are the indices up to the
    // length exactly when the last of them is.
    if (keys.length >= length && (length === 0 || sameValue(keys[length - 1], StringCtor(length - 1)))) {
      this.tag(TAG.BEGIN_DENSE_ARRAY);
      this.varint(length);
      for (let i = 0; i < length; i++) {
        this.value(array[i]);
      }
      this.properties(array, keys.length === length ? NO_KEYS : keys.slice(length), undefined, TAG.END_DENSE_ARRAY, length);
    } else {
      this.properties(array, keys, TAG.BEGIN_SPARSE_ARRAY, TAG.END_SPARSE_ARRAY, length);
    }
  }

  // Map entries and Set values are taken first, since writing them could change the collection.
  collection(collection, forEach, begin, end, pairs) {
    const items = [];
    let count = 0;
    forEach(collection, pairs ? (entry, key) => { items[count++] = key; items[count++] = entry; } : (entry) => { items[count++] = entry; });
    this.tag(begin);
    for (let i = 0; i < count; i++) {
      this.value(items[i]);
    }
    this.tag(end);
    this.varint(count);
  }

  regexp(regexp) {
    this.tag(TAG.REGEXP);
    this.string(regExpSource(regexp));
    let flags = 0;
    for (const [get, bit] of regExpFlags) {
      if (get(regexp)) {
        flags |= bit;
      }
    }
    this.varint(flags);
  }

  // As V8: the prototype by name, the message if it is an own data property, the stack if it is
  // a string, the cause if it is an own data property.
  error(error) {
    const message = getOwnPropertyDescriptor(error, 'message');
    const cause = getOwnPropertyDescriptor(error, 'cause');
    this.tag(TAG.ERROR);
    const prototype = ERROR_PROTOTYPES[StringCtor(error.name)];
    if (prototype !== undefined) {
      this.varint(prototype);
    }
    if (message !== undefined && ('value' in message || 'writable' in message)) {
      this.varint(ERROR_MESSAGE);
      this.string(StringCtor(message.value));
    }
    const stack = error.stack;
    if (typeof stack === 'string') {
      this.varint(ERROR_STACK);
      this.string(stack);
    }
    if (cause !== undefined && ('value' in cause || 'writable' in cause)) {
      this.varint(ERROR_CAUSE);
      this.value(cause.value);
    }
    this.varint(ERROR_END);
  }

  boxed(boxed) {
    if (isNumberObject(boxed)) {
      this.tag(TAG.NUMBER_OBJECT);
      this.double(numberValue(boxed));
    } else if (isStringObject(boxed)) {
      this.tag(TAG.STRING_OBJECT);
      this.string(stringValue(boxed));
    } else if (isBooleanObject(boxed)) {
      this.tag(booleanValue(boxed) ? TAG.TRUE_OBJECT : TAG.FALSE_OBJECT);
    } else if (isBigIntObject(boxed)) {
      this.tag(TAG.BIGINT_OBJECT);
      this.bigint(bigintValue(boxed));
    } else {
      throw uncloneable(boxed);
    }
  }

  arrayBuffer(buffer) {
    if (isSharedArrayBuffer(buffer)) {
      this.tag(TAG.SHARED_ARRAY_BUFFER);
      this.varint(this.shared.length / 2);
      this.shared.push(buffer, new Uint8ArrayCtor(buffer));
      return;
    }
    const transfer = this.transfers?.get(buffer);
    if (transfer !== undefined) {
      this.tag(TAG.ARRAY_BUFFER_TRANSFER);
      this.varint(transfer);
      return;
    }
    if (isDetached(buffer)) {
      throw new TypeErrorCtor('An ArrayBuffer is detached and could not be cloned.');
    }
    const contents = new Uint8ArrayCtor(buffer);
    if (bufferResizable !== undefined && bufferResizable(buffer)) {
      this.tag(TAG.RESIZABLE_ARRAY_BUFFER);
      this.varint(contents.length);
      this.varint(bufferMaxLength(buffer));
    } else {
      this.tag(TAG.ARRAY_BUFFER);
      this.varint(contents.length);
    }
    this.reserve(contents.length);
    this.bytes.set(contents, this.pos);
    this.pos += contents.length;
  }

  // A view comes after its buffer, which gets the id before the view's (as V8 numbers them).
  arrayBufferView(view) {
    const name = typedArrayName(view);
    const viewTag = name !== undefined ? VIEW_TAGS[name] : DATA_VIEW_TAG;
    const byteOffset = name !== undefined ? typedArrayOffset(view) : dataViewOffset(view);
    const byteLength = name !== undefined ? typedArrayLength(view) : dataViewLength(view);
    const buffer = name !== undefined ? typedArrayBuffer(view) : dataViewBuffer(view);
    this.object(buffer);
    this.seen.add(view);
    const resizable = isArrayBuffer(buffer) && bufferResizable !== undefined && bufferResizable(buffer);
    this.tag(TAG.ARRAY_BUFFER_VIEW);
    this.varint(viewTag);
    this.varint(byteOffset);
    this.varint(byteLength);
    const tracking = resizable && byteOffset + byteLength === bufferLength(buffer) && isLengthTracking(view, buffer);
    this.varint((resizable ? VIEW_BACKED_BY_RESIZABLE : 0) | (tracking ? VIEW_LENGTH_TRACKING : 0));
  }

  hostObject(object) {
    this.tag(TAG.HOST_OBJECT);
    this.varint(this.handles.length);
    this.handles.push(object);
  }
}

// `standIns`: objects that stand for objects of another process, copied by their handler's
// `copy()` (see lib/host.js); `remotePrototypes`: the prototypes of the objects standing for
// those of out-of-process isolates, with their classes' names (lib/remote/parent.js).
module.exports = function createSerializer(binding, lib, facadePrototypes, standIns, remotePrototypes) {
  // isolated-vm objects (with the class prototypes of the facade, or the module itself) are
  // host objects; the binding confirms they are real. So are the objects standing for those of
  // out-of-process isolates, which the copy holds as forwarders (src/bridge/forward.rs), but
  // an inspector session, as in one process.
  const isHandle = (object, prototype) => {
    const remote = remotePrototypes.get(prototype);
    if (remote === 'Session') {
      throw new TypeErrorCtor('A non-transferable value was passed');
    }
    return remote !== undefined || (facadePrototypes.has(prototype) && binding.isHandle(object));
  };

  function transfersOf(transferList) {
    if (transferList === undefined) {
      return undefined;
    }
    const transfers = new MapCtor();
    for (let i = 0; i < transferList.length; i++) {
      const buffer = transferList[i];
      if (!isArrayBuffer(buffer)) {
        throw new TypeErrorCtor('Non-ArrayBuffer passed in `transferList`');
      }
      transfers.set(buffer, i);
    }
    return transfers;
  }

  function topLevelBuffer(buffer, moved, viewTag, byteOffset, byteLength) {
    return isSharedArrayBuffer(buffer)
      ? [SHARED, buffer, new Uint8ArrayCtor(buffer), viewTag, byteOffset, byteLength]
      : [BUFFER, buffer, moved, viewTag, byteOffset, byteLength];
  }

  // Copies a non-primitive value (see the return values above). Buffers moved by
  // `transferOut` (a top-level ArrayBuffer) or `transferList` are detached by the native side.
  return function serialize(value, transferOut, transferList) {
    const standIn = standIns.get(value);
    if (standIn !== undefined) {
      return standIn.copy();
    }
    const transfers = transfersOf(transferList);
    if (typeof value === 'object' && value !== null && !isProxy(value)) {
      const moves = (buffer) => transferOut || transfers?.get(buffer) !== undefined;
      if (isAnyArrayBuffer(value)) {
        return topLevelBuffer(value, moves(value));
      }
      const name = typedArrayName(value);
      if (name !== undefined) {
        const buffer = typedArrayBuffer(value);
        return topLevelBuffer(buffer, moves(buffer), name, typedArrayOffset(value), typedArrayLength(value));
      }
      if (isDataView(value)) {
        const buffer = dataViewBuffer(value);
        return topLevelBuffer(buffer, moves(buffer), 'DataView', dataViewOffset(value), dataViewLength(value));
      }
    }
    const writer = new Writer(isHandle, lib, transfers);
    writer.reserve(2);
    writer.bytes[writer.pos++] = 0xff;
    writer.bytes[writer.pos++] = VERSION;
    try {
      writer.value(value);
      return [SERIALIZED, writer.bytes.subarray(0, writer.pos), writer.handles, writer.shared];
    } finally {
      if (writer.bytes.length <= SPARE_LIMIT) {
        spare = writer.bytes;
      }
    }
  };
};

// The kinds of copy `serialize` returns (for a stand-in's `copy()`, lib/remote/child.js).
module.exports.copyKinds = { BUFFER, SERIALIZED };

// Names `standIn` by `source` in "could not be cloned" messages (see `sources`).
module.exports.nameBySource = (standIn, source) => {
  weakMapSet(sources, standIn, source);
};
