'use strict';
// Hostile allocations, each run in a child process (test/fixtures/hostile.js) so that a crash
// could not take the test runner down: the process must exit normally, the call fail with the
// memory limit error (or, for ArrayBuffer allocations, V8's catchable RangeError, the isolate
// staying usable), new isolates work, and the isolate's peak memory and the process's resident
// memory stay within bounds (see the exceptions below).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { promisify } = require('node:util');
const runtime = require('./support/runtime');

const run = promisify(execFile);
// The fixture reads the isolate's memory peak through a binding only tests get.
const TEST_BINDINGS = { ...process.env, ISOLATED_VM_TEST_BINDINGS: '1' };
// Children run under the runtime running the tests.
const fixture = (name) => path.join(__dirname, 'fixtures', name);

const shapes = [
  'growing array',
  'number array',
  'long strings',
  'string concatenation',
  'JSON.parse of huge input',
  'array spread',
  'Map growth',
  'Set growth',
  'nested object graph',
  'many small ArrayBuffers',
  'one huge ArrayBuffer',
  'growing TypedArrays',
  'closures holding arrays',
  'nested short loops',
  'allocation in microtasks',
  'host callback returns',
  'ExternalCopy larger than the limit',
  'copyInto larger than the limit',
];

// An ArrayBuffer that does not fit is refused with V8's own error, as isolated-vm documents; the
// code may catch it, and the isolate goes on.
const ALLOCATION_FAILED = 'RangeError: Array buffer allocation failed';
const refusedWithRangeError = new Set(['one huge ArrayBuffer', 'growing TypedArrays']);

// The isolate's own peak (heap, garbage included, plus external memory), in limits. V8 grows an
// array of doubles by allocating the next backing store (1.5 times bigger) while the old one is
// still alive, so code whose memory is one such array tops out near twice the limit before it
// can be stopped.
const peakBound = { 'number array': 2 };
const PEAK_SLACK = 4 / 32;
// The process's resident memory growth, in limits: 1.5 times the limit plus 16 MB (half the
// fixture's 32 MB limit), except where one V8 built-in step must allocate a copy as big as what
// it copies from, with both alive, before anything can stop it (V8 cannot fail such an
// allocation without aborting the process, so the isolate is stopped right after it): the
// growing array of doubles (old store + 1.5 times bigger new one), string concatenation
// (flattening a string as big as the limit), array spread (the spread copy grows while its source
// lives). Host callback returns leave the host's copies of its strings as garbage in Node's heap.
const rssBound = { 'number array': 3.3, 'string concatenation': 3.3, 'array spread': 2.5, 'host callback returns': 2.9 };
// Out of process, the isolate's memory is the child's; what grows here is the host's own copies
// of a value it sends: the value (twice the limit) and its serialization.
if (runtime.outOfProcess) {
  Object.assign(rssBound, { 'ExternalCopy larger than the limit': 4.5, 'copyInto larger than the limit': 4.5 });
}
const RSS_SLACK = 16 / 32;

const MEMORY_LIMIT_ERROR = 'Error: Isolate was disposed during execution due to memory limit';

// Runs at most `width` children at a time.
async function eachLimited(items, width, fn) {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    while (queue.length > 0) {
      await fn(queue.shift());
    }
  }));
}

const results = new Map();
test.before(async () => {
  const runs = shapes.flatMap((shape) => ['sync', 'async', 'ignored'].map((mode) => [shape, mode]));
  await eachLimited(runs, 2, async ([shape, mode]) => {
    try {
      const { stdout } = await run(...runtime.command(fixture('hostile.js'), [shape, mode]), { timeout: 60_000, env: TEST_BINDINGS });
      results.set(`${shape}/${mode}`, JSON.parse(stdout.trim().split('\n').pop()));
    } catch (error) {
      results.set(`${shape}/${mode}`, { crashed: `${error.code ?? ''} ${error.signal ?? ''} ${error.stderr ?? error.message}` });
    }
  });
});

for (const shape of shapes) {
  test(`memory limit holds for ${shape} (sync, async and ignored calls)`, () => {
    const refused = refusedWithRangeError.has(shape);
    for (const mode of ['sync', 'async', 'ignored']) {
      const result = results.get(`${shape}/${mode}`);
      assert.equal(result.crashed, undefined, `${shape}/${mode} crashed: ${result.crashed}`);
      // Ignored calls report nothing to the caller; the isolate is disposed all the same.
      const expected = refused ? ALLOCATION_FAILED : MEMORY_LIMIT_ERROR;
      assert.equal(result.error, mode === 'ignored' ? undefined : expected, `${shape}/${mode}`);
      assert.equal(result.disposed, !refused, `${shape}/${mode}`);
      assert.equal(result.newIsolateWorks, true, `${shape}/${mode}`);
      assert.ok(result.peakOverLimit <= (peakBound[shape] ?? 1.5) + PEAK_SLACK, `${shape}/${mode}: peak ${result.peakOverLimit} times the limit`);
      assert.ok(result.rssOverLimit <= (rssBound[shape] ?? 1.5) + RSS_SLACK, `${shape}/${mode}: resident memory grew ${result.rssOverLimit} times the limit`);
    }
  });
}

test('WebAssembly memory growth cannot take the process down', async () => {
  // V8 gives embedders no way to count WebAssembly memory against a limit (see the README): the
  // growth stops at the memory's maximum, the isolate survives and the process goes on.
  const { stdout } = await run(...runtime.command(fixture('hostile.js'), ['WebAssembly memory growth', 'sync']), { timeout: 60_000, env: TEST_BINDINGS });
  const result = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(result.error, 'RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded');
  assert.equal(result.newIsolateWorks, true);
});

for (const mode of ['sync', 'async']) {
  test(`a fatal V8 error is survived with onCatastrophicError (${mode} call)`, async () => {
    const { stdout } = await run(...runtime.command(fixture('catastrophe.js'), [mode]), { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()), {
      beforeHostCall: 42,
      error: MEMORY_LIMIT_ERROR,
      messages: ['Catastrophic out-of-memory error'],
      disposed: true,
      later: 'Isolated is disposed',
      newIsolate: 42,
    });
  });
}
