'use strict';
// Generated hostile programs (test/fixtures/programs.js), each in a child process: every one
// must end within its timeout plus a margin, with a clear error if it fails, leave the host
// able to run a fresh isolate, and keep the process's resident memory within bounds (see
// test/fixtures/fuzz-batch.js). A fixed-seed batch, then a random one whose seed is printed:
// `node bench/fuzz.js <count> <seed>` reruns it (bench/fuzz.js also runs long batches).
const test = require('node:test');
const assert = require('node:assert/strict');
const { runBatch, violations, describe } = require('./fixtures/fuzz-batch');

const FIXED_SEED = 20261201;
const FIXED_COUNT = 40;
const RANDOM_COUNT = 12;

function check(results) {
  const failing = results.filter((result) => violations(result).length > 0);
  assert.deepEqual(failing.map(describe), []);
}

test(`a fixed batch of ${FIXED_COUNT} generated hostile programs (seed ${FIXED_SEED})`, async () => {
  const results = await runBatch(FIXED_SEED, FIXED_COUNT);
  check(results);
  // The batch covers the outcomes it should (a generator that only produced programs ending one
  // way would test little).
  const errors = new Set(results.map((result) => result.error));
  for (const expected of ['Error: Script execution timed out.', 'Error: Isolate was disposed during execution due to memory limit', 'RangeError: Array buffer allocation failed']) {
    assert.ok(errors.has(expected), `no program ended with ${expected}`);
  }
});

const randomSeed = Math.floor(Math.random() * 2 ** 31);
test(`a random batch of ${RANDOM_COUNT} generated hostile programs (seed ${randomSeed})`, async () => {
  console.log(`random hostile programs: seed ${randomSeed} (rerun: node bench/fuzz.js ${RANDOM_COUNT} ${randomSeed})`);
  check(await runBatch(randomSeed, RANDOM_COUNT));
});
