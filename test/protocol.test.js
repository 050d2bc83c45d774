'use strict';
// The numbers the facade and the binding share are declared once, by the binding
// (src/api/protocol.rs): the facade takes them from it and refuses to start on any difference.
// Test-only bindings are not in the shipped table.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const binding = require('../lib/binding');
const runtime = require('./support/runtime');
const createIsolatedVm = require('../lib/facade');

test('the binding declares the modes, transfer bits and classes the facade uses', () => {
  const { parameters, ...numbers } = binding.protocol();
  assert.deepEqual(parameters.contextEval, ['context', 'mode', 'code', 'timeout', 'filename', 'lineOffset', 'columnOffset', 'transfer']);
  assert.deepEqual(numbers, {
    modes: { SYNC: 0, ASYNC: 1, IGNORED: 2, SYNC_PROMISE: 3 },
    transfer: { COPY: 1, EXTERNAL_COPY: 2, REFERENCE: 4, PROMISE: 8 },
    callbackModes: { SYNC: 0, ASYNC: 1, IGNORED: 2 },
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

// Every `binding.name(...)` call in the facade's sources, with its arguments' source texts.
function facadeCalls() {
  const directory = path.join(__dirname, '..', 'lib', 'facade');
  const calls = [];
  for (const file of fs.readdirSync(directory).filter((name) => name.endsWith('.js'))) {
    const source = fs.readFileSync(path.join(directory, file), 'utf8');
    for (const match of source.matchAll(/\bbinding\.(\w+)\(/g)) {
      const args = [];
      let depth = 0;
      let start = match.index + match[0].length;
      for (let at = start; ; at++) {
        const char = source[at];
        if (char === '(' || char === '[' || char === '{') depth++;
        else if ((char === ',' || char === ')') && depth === 0) {
          if (source.slice(start, at).trim() !== '') args.push(source.slice(start, at).trim());
          if (char === ')') break;
          start = at + 1;
        } else if (char === ')' || char === ']' || char === '}') depth--;
      }
      calls.push({ where: `${file}: ${match[0]}${args.join(', ')})`, name: match[1], args });
    }
  }
  return calls;
}

// An argument passes a parameter when its text names it (`at.filename` passes `filename`), when
// it is the receiver `this`, when it is `undefined` (not given), or, for a mode, when it is one of
// the modes.
function passes(arg, parameter, index) {
  const plain = (text) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (plain(arg).includes(plain(parameter)) || arg === 'undefined') return true;
  if (index === 0 && arg === 'this') return true;
  return parameter === 'mode' && ['SYNC', 'ASYNC', 'IGNORED', 'SYNC_PROMISE'].includes(arg);
}

test('every call the facade makes passes the parameters the binding declares, in order', () => {
  const { parameters } = binding.protocol();
  const calls = facadeCalls().filter((call) => call.name !== 'protocol' && call.name !== 'setup');
  assert.ok(calls.length > 50, `found only ${calls.length} calls`);
  const wrong = calls.filter(({ name, args }) => {
    const declared = parameters[name];
    return !declared || declared.length !== args.length || !args.every((arg, index) => passes(arg, declared[index], index));
  }).map((call) => `${call.where} against (${(parameters[call.name] ?? ['undeclared']).join(', ')})`);
  assert.deepEqual(wrong, []);
  const called = new Set(calls.map((call) => call.name));
  assert.deepEqual(Object.keys(parameters).filter((name) => !called.has(name) && name !== 'protocol'), []);
});

test('the check of facade calls catches a swapped or missing argument', () => {
  const declared = ['context', 'mode', 'code', 'timeout'];
  assert.equal(['context', 'ASYNC', 'code', 'timeoutOption(options)'].every((arg, index) => passes(arg, declared[index], index)), true);
  assert.equal(['context', 'ASYNC', 'timeout', 'code'].every((arg, index) => passes(arg, declared[index], index)), false);
  assert.equal(['this', 'mode', 'code', 'at.filename'].every((arg, index) => passes(arg, declared[index], index)), false);
});
