'use strict';
// Every example runs and prints what it should, under the runtime running the tests (npm test
// runs the suite under each: scripts/test.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const runtime = require('./support/runtime');

function runExample(name, args = []) {
  const [command, commandArgs] = runtime.command(path.join(__dirname, '..', 'examples', name), args);
  return spawnSync(command, commandArgs, { encoding: 'utf8', timeout: 60_000 });
}

// What each example prints, line by line (regular expressions where it varies).
const expected = {
  'functions-and-references.js': [
    'add: 5',
    'fetchUser: user 7',
    'lookup: value of k',
    'greet: hello node',
    'settings: {"theme":"dark","size":3}',
    'counter: 5',
    'total: 10',
  ],
  'modules.js': [
    'dependencies: ./math.js, ./config.js',
    'result: 64',
    'broken: Cannot find module /app/missing.js (resolving "./missing.js" from file:///app/broken.js)',
  ],
  'limits.js': [
    'endless loop failed: Script execution timed out. (isolate disposed: false)',
    'endless loop isolate still usable: 42',
    'endless promise chain failed: Script execution timed out. (isolate disposed: false)',
    'endless promise chain isolate still usable: 42',
    'memory bomb failed: Isolate was disposed during execution due to memory limit (isolate disposed: true)',
    'buffer bomb failed: Array buffer allocation failed (isolate disposed: false)',
    'buffer bomb isolate still usable: 42',
    'deep recursion failed: Maximum call stack size exceeded (isolate disposed: false)',
    'deep recursion isolate still usable: 42',
    'host still running: true',
  ],
  'transfer.js': [
    'config in isolate: service 3 1970-01-01T00:00:00.000Z',
    'sent buffer detached: true',
    'first byte back in node: 42 of 16777216 bytes',
    'shared value seen by node: 7',
    'external copies total (bytes): true',
  ],
  'snapshot.js': [
    'snapshot size (KB): true',
    'Hello, ada! The 1000th prime is 7919.',
    'Hello, grace! The 1000th prime is 7919.',
    'endless setup script: Script execution timed out.',
  ],
  'multi-tenant-server.js --self-test': [
    '200 {"result":"alice on free"}',
    '200 {"result":[2,4,6]}',
    '200 {"result":"undefined"}',
    '400 {"error":"Script execution timed out."}',
    '400 {"error":"Isolate was disposed during execution due to memory limit"}',
    '200 {"result":"still serving"}',
  ],
  'inspector.js --self-test': ['target: isolated-vm ws://127.0.0.1:PORT/isolate'],
};

// The example that shares a SharedArrayBuffer with its isolate, which cannot cross a process
// boundary: it runs only where isolates are in process.
const SHARES_MEMORY = 'transfer.js';

function checkExample(command) {
  const [name, ...args] = command.split(' ');
  const result = runExample(name, args);
  assert.equal(result.status, 0, `${command}: ${result.stderr}`);
  assert.deepEqual(result.stdout.trim().split('\n'), expected[command], command);
}

test('examples/basic.js: the documented program runs and the host survives the hostile script', () => {
  const result = runExample('basic.js');
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines[0], 'hello world');
  assert.equal(lines[1], "I've wasted 2MB");
  // It gets close to the 128 MB limit, and no further than the limit allows, then ends the way
  // isolated-vm's documentation shows.
  const wasted = lines.filter((line) => line.startsWith("I've wasted")).length * 2;
  assert.ok(wasted >= 100 && wasted <= 130, `wasted ${wasted} MB`);
  assert.match(result.stderr, /^RangeError: Array buffer allocation failed\n/);
});

test('every example runs and prints what it should', () => {
  for (const command of Object.keys(expected).filter((each) => each !== SHARES_MEMORY)) {
    checkExample(command);
  }
});

test('examples/transfer.js runs and prints what it should', runtime.inProcessOnly('examples/transfer.js shares a SharedArrayBuffer, which cannot cross a process boundary'), () => {
  checkExample(SHARES_MEMORY);
});
