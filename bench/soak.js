#!/usr/bin/env node
'use strict';
// Load and soak: many isolates alive at once, then many isolate and context lifecycles, with the
// resident memory of the process before, during and after. Prints JSON (memory in MB).
//
//   node --expose-gc bench/soak.js [--alive N] [--cycles N] [--contexts N]
//
// Defaults: 1000 isolates alive, 10 000 create/dispose cycles, 100 000 context create/release
// cycles. A smaller run is part of the tests (test/hostile.test.js).

const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ivm = require(path.join(__dirname, '..'));

const MB = 1024 * 1024;
const rss = () => Math.round(process.memoryUsage.rss() / MB);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Lets finalizers and the reaper thread finish what the loops released.
async function settle() {
  for (let i = 0; i < 10; i++) {
    global.gc?.();
    await sleep(20);
  }
  // The reaper returns freed memory to the system after 100 ms of quiet.
  await sleep(150);
}

async function soak({ alive, cycles, contexts }, warmUp = true) {
  // A small round first, so that what the process keeps for itself once (code pages of the
  // addon, Node's own heap) is not counted as growth.
  if (warmUp) {
    await soak({ alive: Math.ceil(alive / 10), cycles: Math.ceil(cycles / 10), contexts: Math.ceil(contexts / 10) }, false);
  }
  await settle();
  const start = rss();
  const report = { alive, cycles, contexts, startMB: start };

  let started = performance.now();
  const isolates = [];
  for (let i = 0; i < alive; i++) {
    const isolate = new ivm.Isolate({ memoryLimit: 16 });
    isolate.createContextSync().evalSync(`globalThis.id = ${i}`);
    isolates.push(isolate);
  }
  report.aliveMB = rss();
  report.aliveCreateMs = Math.round(performance.now() - started);
  // All of them answer, concurrently.
  const answers = await Promise.all(isolates.map((isolate) => isolate.createContext().then((context) => context.eval('6 * 7'))));
  report.aliveAnswered = answers.filter((answer) => answer === 42).length;
  for (const isolate of isolates) {
    isolate.dispose();
  }
  isolates.length = 0;
  await settle();
  report.afterAliveMB = rss();

  started = performance.now();
  for (let i = 0; i < cycles; i++) {
    const isolate = new ivm.Isolate();
    isolate.createContextSync().evalSync('1 + 1');
    isolate.dispose();
    if (i % 1000 === 999) {
      await sleep(0);
    }
  }
  report.cyclesMs = Math.round(performance.now() - started);
  await settle();
  report.afterCyclesMB = rss();

  const isolate = new ivm.Isolate();
  started = performance.now();
  for (let i = 0; i < contexts; i++) {
    const context = isolate.createContextSync();
    context.evalSync('globalThis.x = [1, 2, 3]');
    context.release();
    if (i % 1000 === 999) {
      await sleep(0);
    }
  }
  report.contextsMs = Math.round(performance.now() - started);
  isolate.dispose();
  await settle();
  report.afterContextsMB = rss();
  report.grewMB = report.afterContextsMB - start;
  return report;
}

module.exports = { soak };

if (require.main === module) {
  const { option } = require('./options');
  const number = (name, fallback) => Number(option(name) ?? fallback);
  soak({ alive: number('--alive', 1000), cycles: number('--cycles', 10000), contexts: number('--contexts', 100000) })
    .then((report) => console.log(JSON.stringify(report, null, 2)));
}
