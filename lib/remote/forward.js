'use strict';
// Forwarders (lib/facade/forward.js) call `dispatch`: the forwarder's method runs here, on the
// object it stands for, as if Node called it. Those of in-process isolates call it through a
// Reference, for objects of out-of-process isolates (this process's objects for a child's);
// those of a child's guest call it over the channel, for objects of other children or of
// in-process isolates (lib/remote/parent.js).
// What a forwarder's call of these methods gives is given back to it (see lib/host.js).
const ASKED_FOR = new Set(['createInspectorSession', 'derefInto']);

function createDispatcher(ivm, askedFor) {
  // The resolver of the isolate that called instantiate(), which gave it as a Reference to it.
  const resolverOf = (reference, sync) => (sync
    ? (specifier, referrer) => reference.applySync(undefined, [specifier, referrer])
    : (specifier, referrer) => reference.apply(undefined, [specifier, referrer], { result: { promise: true } }));
  // `name`: a method's, or 'get NAME' / 'set NAME' for an accessor.
  return (object, name, args) => reclassing(() => dispatch(object, name, args), true);
  function dispatch(object, name, args) {
    if (name.startsWith('get ')) {
      return object[name.slice(4)];
    }
    if (name.startsWith('set ')) {
      object[name.slice(4)] = args[0];
      return undefined;
    }
    if ((name === 'instantiate' || name === 'instantiateSync') && args[1] instanceof ivm.Reference) {
      args[1] = resolverOf(args[1], name === 'instantiateSync');
    }
    return asked(name, object[name](...args), askedFor);
  }
}

// `result` of method `name`, added to `askedFor` if it is what the forwarder asked for.
function asked(name, result, askedFor) {
  if (ASKED_FOR.has(name) && result !== null && typeof result === 'object') {
    askedFor.add(result);
  }
  return result;
}

const RECLASSED = { EvalError, URIError };
const BOUNDARY = '    at (<isolated-vm boundary>)';

// What `call()` gives or throws, with an error from the isolate as it would cross to the isolate
// that called the forwarder in one process, where it crosses once (here it crosses twice, and is
// rebuilt each time): an EvalError or URIError that crossed as an Error of that name (as
// isolated-vm rebuilds them) is of its class again, and its stack ends before it crossed to this
// process, if it came from an isolate (the frames after, those of the dispatch, are not the
// caller's): the crossing to the caller adds the boundary and the caller's frames.
function reclassing(call, cut) {
  const reclassed = (error) => {
    if (!(error instanceof Error)) {
      return error;
    }
    if (Object.getPrototypeOf(error) === Error.prototype && Object.hasOwn(error, 'name') && Object.hasOwn(RECLASSED, error.name)) {
      Object.setPrototypeOf(error, RECLASSED[error.name].prototype);
      delete error.name;
    }
    const lines = cut && typeof error.stack === 'string' ? error.stack.split('\n') : [];
    const crossed = lines.lastIndexOf(BOUNDARY);
    if (crossed !== -1) {
      Object.defineProperty(error, 'stack', { value: lines.slice(0, crossed).join('\n'), writable: true, configurable: true });
    }
    return error;
  };
  let result;
  try {
    result = call();
  } catch (error) {
    throw reclassed(error);
  }
  return result instanceof Promise ? result.catch((error) => Promise.reject(reclassed(error))) : result;
}

module.exports = { createDispatcher, reclassing, asked };
