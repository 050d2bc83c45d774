'use strict';
// The numbers the facade and the binding share are declared once, by the binding
// (src/api/protocol.rs): the facade takes them from it and refuses to start on any difference.
// Test-only bindings are not in the shipped table.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const binding = require('../lib/binding');
const runtime = require('./support/runtime');
const createIsolatedVm = require('../lib/facade');

test('the binding declares the modes, transfer bits and classes the facade uses', () => {
  assert.deepEqual(binding.protocol(), {
    modes: { SYNC: 0, ASYNC: 1, IGNORED: 2, SYNC_PROMISE: 3 },
    transfer: { COPY: 1, EXTERNAL_COPY: 2, REFERENCE: 4, PROMISE: 8 },
    classes: { Isolate: 0, Context: 1, Script: 2, Reference: 3, Dereference: 4, Callback: 5, ExternalCopy: 6, ExternalCopyInto: 7, Module: 8, Session: 9, Lib: 10 },
  });
});

test('the facade refuses to start with a binding that declares other names', () => {
  const declaring = (change) => ({ ...binding, protocol: () => change(binding.protocol()) });
  assert.throws(() => createIsolatedVm(declaring((protocol) => {
    delete protocol.modes.SYNC_PROMISE;
    return protocol;
  })), { name: 'Error', message: 'isolated-vm: the binding declares the modes ASYNC, IGNORED, SYNC, the facade uses ASYNC, IGNORED, SYNC, SYNC_PROMISE' });
  assert.throws(() => createIsolatedVm(declaring((protocol) => ({ ...protocol, transfer: { ...protocol.transfer, MOVE: 16 } }))), {
    message: 'isolated-vm: the binding declares the transfer COPY, EXTERNAL_COPY, MOVE, PROMISE, REFERENCE, the facade uses COPY, EXTERNAL_COPY, PROMISE, REFERENCE',
  });
  assert.throws(() => createIsolatedVm(declaring((protocol) => ({ ...protocol, classes: { ...protocol.classes, Worker: 11 } }))), {
    message: /^isolated-vm: the binding declares the classes Callback, Context, Dereference, ExternalCopy, ExternalCopyInto, Isolate, Lib, Module, Reference, Script, Session, Worker, the facade uses /,
  });
});

test('test-only bindings are given only with ISOLATED_VM_TEST_BINDINGS=1', () => {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'test-bindings.js'));
  const { ISOLATED_VM_TEST_BINDINGS, ...env } = process.env;
  const probe = (extra) => execFileSync(command, args, { env: { ...env, ...extra }, encoding: 'utf8' }).trim();
  assert.equal(probe({}), 'undefined');
  assert.equal(probe({ ISOLATED_VM_TEST_BINDINGS: '1' }), 'function');
});
