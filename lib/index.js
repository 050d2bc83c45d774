'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');
const createHost = require('./host');
const applyV8FlagsBeforeFirstIsolate = require('./flags');

binding.setupHost(createHost(binding.isHandle, binding.isExternal));
applyV8FlagsBeforeFirstIsolate(binding);
module.exports = createIsolatedVm(binding, { facadeFile: require.resolve('./facade'), unclonable: true });
