'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const ivm = require('..');

const lib = path.join(__dirname, '..');

function runWorker(source, workerData = {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { lib, ...workerData } });
    let result;
    worker.on('message', (message) => {
      result = message;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`))));
  });
}

test('host functions of a worker thread are called from pool threads: sync, async and ignored', async () => {
  const result = await runWorker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const ivm = require(workerData.lib);
    (async () => {
      const isolate = new ivm.Isolate();
      const context = isolate.createContextSync();
      const calls = [];
      context.global.setSync('syncHost', (x) => { calls.push('sync ' + x); return x * 2; });
      context.global.setSync('asyncHost', new ivm.Callback((x) => { calls.push('async ' + x); return x + 1; }, { async: true }));
      context.global.setSync('ignoredHost', new ivm.Callback((x) => { calls.push('ignored ' + x); }, { ignored: true }));
      const value = await context.eval('ignoredHost(1); syncHost(2) + 100', {});
      const later = await context.eval('asyncHost(3)', { promise: true });
      await new Promise((resolve) => setTimeout(resolve, 10));
      isolate.dispose();
      parentPort.postMessage({ value, later, calls });
    })();
  `);
  assert.equal(result.value, 104);
  assert.equal(result.later, 4);
  assert.deepEqual(result.calls.sort(), ['async 3', 'ignored 1', 'sync 2']);
});

test('a pool thread calling Node while Node waits synchronously on the same isolate does not deadlock', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  let hostCalls = 0;
  context.global.setSync('host', () => ++hostCalls);
  const running = context.eval('let total = 0; for (let i = 0; i < 20; i++) total += host(); total');
  for (let i = 0; i < 20; i++) {
    assert.equal(context.evalSync('1 + 1'), 2);
  }
  assert.equal(await running, 210);
  isolate.dispose();
});

test('a host function may call back into the isolate that called it from a pool thread', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('reenter', () => context.evalSync('globalThis.touched = true; 7'));
  assert.equal(await context.eval('reenter() + (touched ? 1 : 0)'), 8);
  isolate.dispose();
});
