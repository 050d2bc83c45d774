'use strict';
// How the channel's messages (channel.js) are written as bytes. Most calls carry a little of
// JSON's kind of data (a source text, an options object, a number back), which JSON writes and
// reads in a fifth of the time node:v8 takes (about 1 against 5 microseconds a message, four
// messages a round trip); the rest is written in V8's format. A V8 payload starts with its
// version tag, 0xFF, which no JSON text starts with, so a reader tells them apart.

const v8 = require('node:v8');

const V8_VERSION_TAG = 0xff;
// How deep a message may hold objects and still be written as JSON: [RETURN, id, ok, { a: [x] }]
// is 3; and how many objects it may hold. Deeper or larger data is rare, and its check would
// cost more than JSON saves.
const JSON_DEPTH = 4;
const JSON_OBJECTS = 32;

const { getPrototypeOf, keys } = Object;
const { isArray } = Array;
const ObjectPrototype = Object.prototype;
const ArrayPrototype = Array.prototype;

// Whether JSON gives back exactly what node:v8 would: strings, booleans, null, finite numbers
// but -0, and dense arrays and plain objects of them with no other properties, each object met
// once (JSON would copy a repeated one); no undefined, bigint, NaN, or object of another kind.
// `seen` holds the objects met so far.
function isJsonData(value, depth, seen) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    return true;
  }
  if (depth === 0 || seen.length === JSON_OBJECTS || seen.includes(value)) {
    return false;
  }
  seen.push(value);
  const prototype = getPrototypeOf(value);
  if (isArray(value)) {
    const { length } = value;
    if (prototype !== ArrayPrototype) {
      return false;
    }
    for (let i = 0; i < length; i++) {
      if (!(i in value) || !isJsonData(value[i], depth - 1, seen)) {
        return false;
      }
    }
    return keys(value).length === length;
  }
  if (prototype !== ObjectPrototype && prototype !== null) {
    return false;
  }
  for (const key of keys(value)) {
    if (!isJsonData(value[key], depth - 1, seen)) {
      return false;
    }
  }
  return true;
}

// The payload of `message`, an array: a JSON string, or a Buffer in V8's format. A last element
// that is undefined is left out of JSON (the reader's destructuring gives it back).
function serialize(message) {
  const last = message.length - 1;
  const json = message[last] === undefined ? message.slice(0, last) : message;
  return isJsonData(json, JSON_DEPTH, []) ? JSON.stringify(json) : v8.serialize(message);
}

// The message whose payload is bytes[start, end).
function deserialize(bytes, start, end) {
  if (bytes[start] === V8_VERSION_TAG) {
    return v8.deserialize(bytes.subarray(start, end));
  }
  return JSON.parse(bytes.toString('utf8', start, end));
}

module.exports = { serialize, deserialize };
