'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');
const createHost = require('./host');
const { applyBeforeFirstIsolate: applyV8FlagsBeforeFirstIsolate } = require('./flags');

const prototypes = new Set();
// Out-of-process isolates are made here, over the in-process API (lib/remote/).
const hostOptions = { facadeFile: require.resolve('./facade'), prototypes, callbackFunctions: new WeakMap(), copiesInto: undefined };
hostOptions.outOfProcess = (options) => {
  hostOptions.copiesInto ??= new WeakMap();
  return require('./remote/parent').createIsolate(ivm, binding, hostOptions, options);
};
// The tests run the API's suites a second time with every isolate out of process (scripts/test.js).
hostOptions.outOfProcessByDefault = process.env.ISOLATED_VM_TEST_OUT_OF_PROCESS === '1';
const ivm = createIsolatedVm(binding, hostOptions);
hostOptions.host = createHost(binding, ivm, prototypes);
binding.setupHost(hostOptions.host);
applyV8FlagsBeforeFirstIsolate(binding);
// ivm.lib.hrtime reads the clock of this runtime's process.hrtime (whose origin varies by runtime).
binding.setHrtimeBase(process.hrtime());
module.exports = ivm;
