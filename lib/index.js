'use strict';
// The entry point: the isolated-vm API over the native binding.

const binding = require('./binding');
const createIsolatedVm = require('./facade');

module.exports = createIsolatedVm(binding, require.resolve('./facade'));
