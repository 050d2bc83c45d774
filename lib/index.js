'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');
const createHost = require('./host');
const applyV8FlagsBeforeFirstIsolate = require('./flags');

const prototypes = new Set();
const ivm = createIsolatedVm(binding, { facadeFile: require.resolve('./facade'), prototypes });
binding.setupHost(createHost(binding, ivm, prototypes));
applyV8FlagsBeforeFirstIsolate(binding);
// ivm.lib.hrtime reads the clock of this runtime's process.hrtime (whose origin varies by runtime).
binding.setHrtimeBase(process.hrtime());
module.exports = ivm;
