// The built-ins the facade uses once it has started, captured when it starts. Inside isolates the
// facade starts when a context first gets the API (the module or one of its objects is passed in),
// and isolate code may replace any built-in afterwards (`Array.prototype[Symbol.iterator]`,
// `Map.prototype.get`, `Function.prototype.call`, `Promise.prototype.then`, ...): the API must
// behave all the same (test/builtins.test.js). What code replaced before then is what it gets.
//
// So the facade's methods, getters and linker call only these captures, and syntax that calls no
// replaceable built-in: no `for...of`, spread or array destructuring (they use the iterator
// protocol), no `.call`, `.apply` or `.bind`, and an async function never returns a promise (its
// result would be resolved through the promise's `then`): it awaits it first. Methods are called
// through `uncurryThis`, which takes the receiver as first argument. Code that only runs at start,
// defining the classes, uses built-ins freely.

const uncurryThis = Function.prototype.bind.bind(Function.prototype.call);
const getterOf = (prototype, key) => uncurryThis(Object.getOwnPropertyDescriptor(prototype, key).get);

const { defineProperty, freeze, getPrototypeOf, setPrototypeOf, keys: objectKeys } = Object;
const isArray = Array.isArray;
const isInteger = Number.isInteger;
const toNumber = Number;
const parseJson = JSON.parse;
const TypeErrorCtor = TypeError;
const ErrorCtor = Error;
const captureStackTrace = Error.captureStackTrace;

const stringIndexOf = uncurryThis(String.prototype.indexOf);
const stringSlice = uncurryThis(String.prototype.slice);

const MapCtor = Map;
const mapGet = uncurryThis(Map.prototype.get);
const mapSet = uncurryThis(Map.prototype.set);
const mapHas = uncurryThis(Map.prototype.has);
const mapDelete = uncurryThis(Map.prototype.delete);
const mapForEach = uncurryThis(Map.prototype.forEach);
const mapSize = getterOf(Map.prototype, 'size');

const WeakMapCtor = WeakMap;
const weakMapGet = uncurryThis(WeakMap.prototype.get);
const weakMapSet = uncurryThis(WeakMap.prototype.set);
const weakMapDelete = uncurryThis(WeakMap.prototype.delete);

const WeakRefCtor = WeakRef;
const weakRefDeref = uncurryThis(WeakRef.prototype.deref);
