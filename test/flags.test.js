'use strict';
// V8 flags reach isolated-vm's own V8: from Node's command line and NODE_OPTIONS (the supported
// ones), and from ISOLATED_VM_V8_FLAGS. Flags that would break the limits are refused with a
// warning. Each case runs in a child process, since flags are set once per process.
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const fixture = path.join(__dirname, 'fixtures', 'flags.js');

function run(nodeFlags, env = {}, ...args) {
  const { NODE_OPTIONS, ISOLATED_VM_V8_FLAGS, ...base } = process.env;
  const output = execFileSync(process.execPath, [...nodeFlags, fixture, ...args], { env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(output);
}

const notApplied = (flag, reason) => `isolated-vm: V8 flag ${flag} is not applied: ${reason}`;
const plain = run([]);

test('without flags isolates have no gc() and no warning is given', () => {
  assert.equal(plain.gc, 'undefined');
  assert.equal(plain.natives, 'SyntaxError');
  assert.deepEqual(plain.warnings, []);
});

test('node --expose-gc gives isolates a gc() that collects their garbage', () => {
  const report = run(['--expose-gc']);
  assert.equal(report.gc, 'function');
  assert.ok(report.freed > 1024 * 1024, `gc() freed ${report.freed} bytes`);
  assert.deepEqual(report.warnings, []);
});

test('ISOLATED_VM_V8_FLAGS sets flags for isolates only', () => {
  const report = run([], { ISOLATED_VM_V8_FLAGS: '--expose_gc' });
  assert.equal(report.gc, 'function');
  assert.equal(report.nodeGc, 'undefined');
  assert.deepEqual(report.warnings, []);
});

test('--stack-size from Node\'s command line sizes the isolates\' stacks', () => {
  // Without a JIT every frame of the recursion has the same size, so the depth is deterministic;
  // with one, the tier a frame runs in (and so its size) depends on the machine's timing.
  const interpreted = { ISOLATED_VM_V8_FLAGS: '--jitless' };
  const base = run([], interpreted);
  const report = run(['--stack-size=2000'], interpreted);
  assert.ok(report.depth > base.depth * 1.8, `depth ${report.depth} with --stack-size=2000, ${base.depth} without`);
});

test('flags that would break the limits are refused with a warning; other Node options are ignored', () => {
  const report = run(['--max-old-space-size=100', '--no-deprecation', '--harmony-import-attributes'], {
    NODE_OPTIONS: '--max-semi-space-size=4',
    ISOLATED_VM_V8_FLAGS: '--allow-natives-syntax "--turboshaft-loop-unrolling" --stack-size=99999 --nonsense',
  });
  assert.equal(report.heapLimit, plain.heapLimit);
  assert.equal(report.natives, 'SyntaxError');
  const heap = 'it would change the heap sizes that isolates\' memory limits set';
  assert.deepEqual(report.warnings, [
    notApplied('--max-semi-space-size=4', heap),
    notApplied('--max-old-space-size=100', heap),
    notApplied('--allow-natives-syntax', 'it would let isolate code call V8\'s internal functions'),
    notApplied('--turboshaft-loop-unrolling', 'unrolled loops lose the interrupt checks that timeouts and memory limits rely on'),
    notApplied('--stack-size=99999', 'isolated-vm takes a stack size from 1 to 3584 (KB), which fits the stacks of the threads isolates run on'),
    notApplied('--nonsense', 'isolated-vm applies only the V8 flags listed in its README'),
  ]);
});

test('flags given after our V8 started (by a worker thread) are reported as not applied', runtime.inProcessOnly('each isolate has a V8 of its own, which takes the flags its thread asks for'), () => {
  const report = run([], {}, 'late');
  assert.equal(report.worker.gc, 'undefined');
  assert.deepEqual(report.worker.warnings, [
    notApplied('--expose-gc', 'isolated-vm\'s V8 started before it was given (V8 flags apply to the whole process and must be set before its first isolate)'),
  ]);
  assert.deepEqual(report.warnings, []);
});

test('out of process, each isolate\'s V8 takes the flags of the thread that made it, even after the first', runtime.skipUnless(runtime.outOfProcess, 'out-of-process isolates only'), () => {
  const report = run([], {}, 'late');
  assert.equal(report.gc, 'undefined');
  assert.equal(report.worker.gc, 'function');
  assert.deepEqual(report.worker.warnings, []);
  assert.deepEqual(report.warnings, []);
});
