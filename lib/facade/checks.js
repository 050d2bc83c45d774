// Argument checks and option readers, with isolated-vm's messages, and the numbers the binding
// reads: how an operation is run (the mode), how a callback's function is called (its mode), how
// a value is transferred (option bits) and which class an instance is. The binding declares those numbers (src/api/protocol.rs); the facade
// takes them from it, and refuses to start if the names it uses and the binding's differ.

const PROTOCOL = binding.protocol();

// The numbers of `table` by name, once its names are exactly `names`.
function declared(table, names) {
  const numbers = PROTOCOL[table];
  const given = objectKeys(numbers).sort().join(', ');
  const expected = names.slice().sort().join(', ');
  if (given !== expected) {
    throw new ErrorCtor(`isolated-vm: the binding declares the ${table} ${given}, the facade uses ${expected}`);
  }
  return numbers;
}

const { SYNC, ASYNC, IGNORED, SYNC_PROMISE } = declared('modes', ['SYNC', 'ASYNC', 'IGNORED', 'SYNC_PROMISE']);
const { COPY, EXTERNAL_COPY, REFERENCE, PROMISE } = declared('transfer', ['COPY', 'EXTERNAL_COPY', 'REFERENCE', 'PROMISE']);
const { SYNC: CALLBACK_SYNC, ASYNC: CALLBACK_ASYNC, IGNORED: CALLBACK_IGNORED } = declared('callbackModes', ['SYNC', 'ASYNC', 'IGNORED']);

// --- Argument checks, with isolated-vm's wording --------------------------------------------

function requiresAtLeast(name, count) {
  return new TypeErrorCtor(`\`${name}\` requires at least ${count} ${count === 1 ? 'parameter' : 'parameters'}`);
}

function requiresParameter(name, index, what) {
  return new TypeErrorCtor(`\`${name}\` requires parameter ${index} to be ${what}`);
}

function checkCount(name, args, count) {
  if (args.length < count) {
    throw requiresAtLeast(name, count);
  }
}

function checkString(name, index, value) {
  if (typeof value !== 'string') {
    throw requiresParameter(name, index, 'a string');
  }
  return value;
}

function checkFunction(name, index, value) {
  if (typeof value !== 'function') {
    throw requiresParameter(name, index, 'a function');
  }
  return value;
}

function optionalObject(name, index, value) {
  if (value === undefined || value === null) {
    return undefined;
  }
  if ((typeof value !== 'object' && typeof value !== 'function')) {
    throw requiresParameter(name, index, 'an object');
  }
  return value;
}

function optionalArray(name, index, value) {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isArray(value)) {
    throw requiresParameter(name, index, 'an array');
  }
  return value;
}

// Options are read strictly: a present value of the wrong type is an error.
function option(options, key) {
  if (options === undefined) {
    return undefined;
  }
  const value = options[key];
  return value === null ? undefined : value;
}

function boolOption(options, key, fallback) {
  const value = option(options, key);
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw new TypeErrorCtor(`\`${key}\` must be a boolean`);
  }
  return value;
}

function int32Option(options, key, fallback) {
  const value = option(options, key);
  if (value === undefined) {
    return fallback;
  }
  if (!isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new TypeErrorCtor(`\`${key}\` must be a 32-bit number`);
  }
  return value;
}

function numberOption(options, key, fallback) {
  const value = option(options, key);
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number') {
    throw new TypeErrorCtor(`\`${key}\` must be a number`);
  }
  return value;
}

function stringOption(options, key) {
  const value = option(options, key);
  if (value !== undefined && typeof value !== 'string') {
    throw new TypeErrorCtor(`\`${key}\` must be a string`);
  }
  return value;
}

function objectOption(options, key) {
  const value = option(options, key);
  if (value !== undefined && typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeErrorCtor(`\`${key}\` must be an object`);
  }
  return value;
}

function functionOption(options, key) {
  const value = option(options, key);
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeErrorCtor(`\`${key}\` must be a function`);
  }
  return value;
}

function timeoutOption(options) {
  const timeout = int32Option(options, 'timeout', 0);
  return timeout > 0 ? timeout : 0;
}

// TransferOptions: `copy`, `externalCopy`, `reference` (at most one) and `promise`.
function transferBits(options) {
  const copy = boolOption(options, 'copy', false);
  const externalCopy = boolOption(options, 'externalCopy', false);
  const reference = boolOption(options, 'reference', false);
  if (copy + externalCopy + reference > 1) {
    throw new TypeErrorCtor('Only one of `copy`, `externalCopy`, or `reference` may be set');
  }
  const promise = boolOption(options, 'promise', false);
  return (copy ? COPY : 0) | (externalCopy ? EXTERNAL_COPY : 0) | (reference ? REFERENCE : 0) | (promise ? PROMISE : 0);
}

// ScriptOrigin: `filename`, `lineOffset`, `columnOffset`.
function origin(options) {
  return { filename: stringOption(options, 'filename'), lineOffset: int32Option(options, 'lineOffset', 0), columnOffset: int32Option(options, 'columnOffset', 0) };
}
