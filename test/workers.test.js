'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const path = require('node:path');

const lib = path.join(__dirname, '..');

function runWorker(source) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { lib } });
    let result;
    worker.on('message', (message) => {
      result = message;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`))));
  });
}

const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  const ivm = require(workerData.lib);
  (async () => {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const seen = [];
    context.global.setSync('report', (value) => seen.push(value));
    const sync = context.evalSync('report("sync"); 6 * 7');
    const async = await context.eval('report("async"); "done"');
    isolate.dispose();
    parentPort.postMessage({ sync, async, seen });
  })();
`;

test('the addon loads and works in several worker threads at once', async () => {
  const results = await Promise.all([runWorker(workerSource), runWorker(workerSource), runWorker(workerSource)]);
  for (const result of results) {
    assert.deepEqual(result, { sync: 42, async: 'done', seen: ['sync', 'async'] });
  }
  // ...and still works on the main thread.
  const ivm = require('..');
  const isolate = new ivm.Isolate();
  assert.equal(isolate.createContextSync().evalSync('1 + 1'), 2);
  isolate.dispose();
});

test('a worker that exits with isolates still running does not take the process down', async () => {
  await runWorker(`
    const { workerData } = require('node:worker_threads');
    const ivm = require(workerData.lib);
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    context.global.setSync('tick', () => {});
    context.eval('for (;;) { tick(); }').catch(() => {});
    setTimeout(() => process.exit(0), 50);
  `);
  const ivm = require('..');
  const isolate = new ivm.Isolate();
  assert.equal(isolate.createContextSync().evalSync('"alive"'), 'alive');
  isolate.dispose();
});
