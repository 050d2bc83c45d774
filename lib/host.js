'use strict';
// Copies of Node values (ExternalCopy, `copy: true`, callback arguments), done with Node's own
// V8 serializer (the structured clone format, read by our V8 as it is).
//
// The native side calls `copy` to flatten a Node value and `materialize` to rebuild one. Values
// cross as tuples of plain parts (see `copy`). isolated-vm objects inside a value are host
// objects: Node facades are made so that Node's serializer refuses them (see lib/facade.js), and
// a second pass then swaps them for placeholder host objects.

const v8 = require('node:v8');
const { types } = require('node:util');

// Node 20's V8 reads serialization format 15; ours writes 16, which differs only for buffers
// over 4 GB. The version byte is adjusted when Node reads older formats.
const NODE_FORMAT = v8.serialize(0)[1];

const VIEWS = {
  Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
  ...(typeof Float16Array === 'function' ? { Float16Array } : {}),
};

function viewName(view) {
  return types.isDataView(view) ? 'DataView' : view[Symbol.toStringTag];
}


function isDetached(buffer) {
  try {
    structuredClone(buffer);
    return false;
  } catch {
    return true;
  }
}

class HostSerializer extends v8.Serializer {
  constructor(placeholders) {
    super();
    this.placeholders = placeholders;
    this.shared = [];
  }

  _getSharedArrayBufferId(buffer) {
    let id = this.shared.indexOf(buffer);
    if (id === -1) {
      id = this.shared.push(buffer) - 1;
    }
    return id;
  }

  _writeHostObject(object) {
    const id = this.placeholders?.get(object);
    if (id === undefined) {
      throw new TypeError(`${Object.prototype.toString.call(object)} could not be cloned.`);
    }
    this.writeUint32(id);
  }

  _getDataCloneError(message) {
    return new TypeError(message);
  }
}

class HostDeserializer extends v8.Deserializer {
  constructor(bytes, handles) {
    super(bytes);
    this.handles = handles;
  }

  _readHostObject() {
    return this.handles[this.readUint32()];
  }
}

module.exports = function createHost(isHandle, isExternal) {
  // Moves an ArrayBuffer's memory to a new ArrayBuffer only we hold; the original is detached.
  // Buffers over memory of ours are left as they are: the native side takes them back itself.
  function detach(buffer) {
    if (buffer.detached === true || (buffer.byteLength === 0 && buffer.detached === undefined && isDetached(buffer))) {
      throw new Error('Array buffer is invalid');
    }
    return isExternal(buffer) ? buffer : structuredClone(buffer, { transfer: [buffer] });
  }

  // A placeholder host object: made by Node's own serializer class, which has internal fields.
  function placeholder() {
    return Reflect.construct(v8.Serializer, [], Object);
  }

  // Rebuilds the containers of `value` that lead to isolated-vm objects, swapping those for
  // placeholders (mapped to their index in `handles`). Everything else is kept as it is.
  function swapHandles(value, handles, placeholders) {
    const seen = new Map();
    const walk = (item) => {
      if (item === null || (typeof item !== 'object' && typeof item !== 'function')) {
        return item;
      }
      if (isHandle(item)) {
        const stand = placeholder();
        placeholders.set(stand, handles.push(item) - 1);
        return stand;
      }
      if (seen.has(item)) {
        return seen.get(item);
      }
      if (Array.isArray(item)) {
        const out = new Array(item.length);
        seen.set(item, out);
        for (const key of Object.keys(item)) {
          out[key] = walk(item[key]);
        }
        return out;
      }
      if (types.isMap(item)) {
        const out = new Map();
        seen.set(item, out);
        for (const [key, entry] of item) {
          out.set(walk(key), walk(entry));
        }
        return out;
      }
      if (types.isSet(item)) {
        const out = new Set();
        seen.set(item, out);
        for (const entry of item) {
          out.add(walk(entry));
        }
        return out;
      }
      if (typeof item === 'function' || types.isDate(item) || types.isRegExp(item) || types.isAnyArrayBuffer(item) ||
          ArrayBuffer.isView(item) || types.isNativeError(item) || types.isBoxedPrimitive(item)) {
        return item;
      }
      const out = {};
      seen.set(item, out);
      for (const key of Object.keys(item)) {
        out[key] = walk(item[key]);
      }
      return out;
    };
    return walk(value);
  }

  function serialize(value, transferList, placeholders) {
    const serializer = new HostSerializer(placeholders);
    transferList.forEach((buffer, id) => serializer.transferArrayBuffer(id, buffer));
    serializer.writeHeader();
    serializer.writeValue(value);
    return serializer;
  }

  // Flattens a non-primitive value. Returns one of:
  //   [1, arrayBuffer, moved, viewName, byteOffset, byteLength]  an ArrayBuffer or a view over one
  //   [2, sharedArrayBuffer, bytes, viewName, byteOffset, byteLength]  a SharedArrayBuffer (or view)
  //   [3, bytes, handles, movedBuffers, sharedBuffers]  anything else, serialized
  // `bytes` of a SharedArrayBuffer is a Uint8Array over all of it, for its address.
  function copy(value, transferOut, transferList = []) {
    for (const buffer of transferList) {
      if (!types.isArrayBuffer(buffer)) {
        throw new TypeError('Non-ArrayBuffer passed in `transferList`');
      }
    }
    const moves = (buffer) => transferOut || transferList.includes(buffer);
    if (types.isArrayBuffer(value)) {
      return moves(value) ? [1, detach(value), true] : [1, value, false];
    }
    if (types.isSharedArrayBuffer(value)) {
      return [2, value, new Uint8Array(value)];
    }
    if (ArrayBuffer.isView(value)) {
      const { buffer, byteOffset, byteLength } = value;
      const name = viewName(value);
      if (types.isSharedArrayBuffer(buffer)) {
        return [2, buffer, new Uint8Array(buffer), name, byteOffset, byteLength];
      }
      return moves(buffer) ? [1, detach(buffer), true, name, byteOffset, byteLength] : [1, buffer, false, name, byteOffset, byteLength];
    }
    if (typeof value === 'symbol') {
      throw new TypeError('Unsupported type');
    }
    const handles = [];
    let serializer;
    try {
      serializer = serialize(value, transferList);
    } catch (error) {
      // Node's serializer refuses isolated-vm objects: swap them for placeholders and retry.
      const placeholders = new Map();
      const swapped = swapHandles(value, handles, placeholders);
      if (handles.length === 0) {
        throw error;
      }
      serializer = serialize(swapped, transferList, placeholders);
    }
    const bytes = serializer.releaseBuffer();
    const moved = transferList.map(detach);
    const shared = serializer.shared.map((buffer) => [buffer, new Uint8Array(buffer)]);
    return [3, bytes, handles, moved, shared];
  }

  // Rebuilds a value serialized by any side. (Node's deserializer cannot take SharedArrayBuffers
  // inside a value; the native side refuses those before getting here.)
  function deserialize(bytes, handles, buffers) {
    if (bytes[1] > NODE_FORMAT) {
      bytes[1] = NODE_FORMAT;
    }
    const deserializer = new HostDeserializer(bytes, handles);
    deserializer.readHeader();
    buffers.forEach((buffer, id) => deserializer.transferArrayBuffer(id, buffer));
    return deserializer.readValue();
  }

  function view(name, buffer, byteOffset, byteLength) {
    const View = VIEWS[name];
    if (View === undefined) {
      throw new TypeError(`${name} is not supported by this version of Node.js`);
    }
    return name === 'DataView' ? new View(buffer, byteOffset, byteLength) : new View(buffer, byteOffset, byteLength / View.BYTES_PER_ELEMENT);
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
    if (hasProxy(object)) {
      throw new TypeError('Object is or has proxy');
    }
    delete object[key];
    if (!Reflect.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })) {
      throw new TypeError('Set failed');
    }
  }

  function remove(object, key) {
    if (hasProxy(object)) {
      throw new TypeError('Object is or has proxy');
    }
    if (!Reflect.deleteProperty(object, key)) {
      throw new TypeError('Delete failed');
    }
  }

  return { copy, deserialize, view, get, set, remove };
};
