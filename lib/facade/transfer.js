// The classes that carry values from one isolate to another: Reference (and Dereference, what
// `derefInto()` gives), Callback, and ExternalCopy (and ExternalCopyInto, what `copyInto()`
// gives).

// --- Reference --------------------------------------------------------------------------------

function releaseOption(name, args) {
  return boolOption(optionalObject(name, 1, args[0]), 'release', false);
}

function get(reference, mode, name, args) {
  checkCount(name, args, 1);
  const options = optionalObject(name, 2, args[1]);
  const key = args[0];
  const accessors = boolOption(options, 'accessors', false);
  return binding.referenceGet(reference, mode, key, accessors, transferBits(options));
}

function set(reference, mode, name, args) {
  checkCount(name, args, 2);
  const options = optionalObject(name, 3, args[2]);
  const key = args[0];
  const value = args[1];
  return binding.referenceSet(reference, mode, key, value, transferBits(options));
}

function remove(reference, mode, name, args) {
  checkCount(name, args, 1);
  const key = args[0];
  return binding.referenceDelete(reference, mode, key);
}

function apply(reference, mode, name, args) {
  const receiver = args[0];
  const applyArguments = optionalArray(name, 2, args[1]);
  const options = optionalObject(name, 3, args[2]);
  const argumentsTransfer = transferBits(objectOption(options, 'arguments'));
  const resultOptions = objectOption(options, 'result');
  if (mode === SYNC_PROMISE && resultOptions !== undefined) {
    throw new TypeErrorCtor('`result` options are not available for `applySyncPromise`');
  }
  const resultTransfer = transferBits(resultOptions);
  return binding.referenceApply(reference, mode, receiver, applyArguments, timeoutOption(options), argumentsTransfer, resultTransfer);
}

const Reference = defineClass('Reference', function (instance, args) {
  checkCount('Reference', args, 1);
  const options = optionalObject('Reference', 2, args[1]);
  const value = args[0];
  binding.referenceNew(instance, value, boolOption(options, 'unsafeInherit', false));
}, {
  get typeof() { return binding.referenceTypeof(this); },
  copy() { return binding.referenceCopy(this, ASYNC); },
  copySync() { return binding.referenceCopy(this, SYNC); },
  deref(options) { return binding.referenceDeref(this, releaseOption('deref', arguments)); },
  derefInto(options) { return binding.referenceDerefInto(this, releaseOption('derefInto', arguments)); },
  release() { binding.referenceRelease(this); },
  delete(property) { return remove(this, ASYNC, 'delete', arguments); },
  deleteIgnored(property) { remove(this, IGNORED, 'deleteIgnored', arguments); },
  deleteSync(property) { return remove(this, SYNC, 'deleteSync', arguments); },
  get(property, options) { return get(this, ASYNC, 'get', arguments); },
  getSync(property, options) { return get(this, SYNC, 'getSync', arguments); },
  set(property, value, options) { return set(this, ASYNC, 'set', arguments); },
  setIgnored(property, value, options) { set(this, IGNORED, 'setIgnored', arguments); },
  setSync(property, value, options) { return set(this, SYNC, 'setSync', arguments); },
  apply(receiver, args, options) { return apply(this, ASYNC, 'apply', arguments); },
  applyIgnored(receiver, args, options) { apply(this, IGNORED, 'applyIgnored', arguments); },
  applySync(receiver, args, options) { return apply(this, SYNC, 'applySync', arguments); },
  applySyncPromise(receiver, args, options) { return apply(this, SYNC_PROMISE, 'applySyncPromise', arguments); },
});

// The object `derefInto()` returns; it becomes the referenced value in the value's own world.
const Dereference = defineClass('Dereference', undefined, {});

// --- Callback ---------------------------------------------------------------------------------

const Callback = defineClass('Callback', function (instance, args) {
  checkCount('Callback', args, 1);
  const callbackFunction = checkFunction('Callback', 1, args[0]);
  const options = optionalObject('Callback', 2, args[1]);
  const isAsync = boolOption(options, 'async', false);
  const ignored = boolOption(options, 'ignored', false);
  const sync = boolOption(options, 'sync', false);
  if (isAsync + ignored + sync > 1) {
    throw new TypeErrorCtor('Only one of `async`, `ignored`, or `sync` may be set');
  }
  const mode = isAsync ? CALLBACK_ASYNC : ignored ? CALLBACK_IGNORED : CALLBACK_SYNC;
  binding.callbackNew(instance, callbackFunction, mode);
  // Out-of-process isolates call a Callback's function themselves (lib/remote/parent.js).
  if (hostOptions.callbackFunctions !== undefined) {
    weakMapSet(hostOptions.callbackFunctions, instance, [callbackFunction, mode]);
  }
}, {});

// --- ExternalCopy -----------------------------------------------------------------------------

function copyOptions(name, args) {
  const options = optionalObject(name, 1, args[0]);
  return { release: boolOption(options, 'release', false), transferIn: boolOption(options, 'transferIn', false) };
}

const ExternalCopy = defineClass('ExternalCopy', function (instance, args) {
  checkCount('ExternalCopy', args, 1);
  const options = optionalObject('ExternalCopy', 2, args[1]);
  const transferOut = boolOption(options, 'transferOut', false);
  const transferList = option(options, 'transferList');
  if (transferList !== undefined && !isArray(transferList)) {
    throw new TypeErrorCtor('`transferList` must be an array');
  }
  const value = args[0];
  binding.externalCopyNew(instance, value, transferOut, transferList);
}, {
  copy(options) {
    const copy = copyOptions('copy', arguments);
    return binding.externalCopyCopy(this, copy.release, copy.transferIn);
  },
  copyInto(options) {
    const copy = copyOptions('copyInto', arguments);
    const into = binding.externalCopyCopyInto(this, copy.release, copy.transferIn);
    // Out-of-process isolates (once there is one) take the copy from `into` and this option
    // (lib/remote/parent.js).
    if (hostOptions.copiesInto !== undefined) {
      weakMapSet(hostOptions.copiesInto, into, copy.transferIn);
    }
    return into;
  },
  release() { binding.externalCopyRelease(this); },
}, {
  get totalExternalSize() { return binding.externalCopyTotalSize(); },
});

// The object `copyInto()` returns; it becomes a copy of the value in the world it is given to.
const ExternalCopyInto = defineClass('ExternalCopyInto', undefined, {});
