// The built-ins the facade uses, captured when it starts: the facade also runs inside isolates,
// whose code may replace them afterwards.
const { defineProperty, freeze, getPrototypeOf, setPrototypeOf } = Object;
const isArray = Array.isArray;
const MapCtor = Map;
const WeakRefCtor = WeakRef;
const PromiseCtor = Promise;
const isInteger = Number.isInteger;
const WeakMapCtor = WeakMap;
const TypeErrorCtor = TypeError;
const ErrorCtor = Error;
