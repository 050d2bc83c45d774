'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');
const createHost = require('./host');

binding.setupHost(createHost(binding.isHandle, binding.isExternal));
module.exports = createIsolatedVm(binding, { facadeFile: require.resolve('./facade'), unclonable: true });
