'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');
const createHost = require('./host');

const prototypes = new Set();
const ivm = createIsolatedVm(binding, { facadeFile: require.resolve('./facade'), prototypes });
binding.setupHost(createHost(binding, ivm, prototypes));
module.exports = ivm;
