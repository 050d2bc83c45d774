#!/usr/bin/env node
'use strict';
// Benchmarks of the core operations. Prints JSON: for each case the median, over several
// batches, of wall time and CPU time (all threads of the process) per operation, in
// microseconds. CPU time is the steadier figure on shared machines.
//
//   node bench/run.js [path-to-isolated-vm] [--only name,name] [--batches N]
//
// The original isolated-vm needs `node --no-node-snapshot`; bench/compare.js runs both.

const path = require('node:path');
const { performance } = require('node:perf_hooks');

const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args.splice(index, 2)[1];
};
const only = option('--only')?.split(',');
const batches = Number(option('--batches') ?? 7);
const target = args[0] ? path.resolve(args[0]) : path.join(__dirname, '..');
const ivm = require(target);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round(n) {
  return Math.round(n * 100) / 100;
}

// Runs `batch` (which performs `count` operations) several times; returns per-operation medians.
async function measure(count, batch) {
  await batch(); // warm-up
  const walls = [];
  const cpus = [];
  for (let i = 0; i < batches; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    await batch();
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    walls.push((wall * 1000) / count);
    cpus.push((used.user + used.system) / count);
  }
  return { wall_us: round(median(walls)), cpu_us: round(median(cpus)) };
}

const cases = {
  async 'new Isolate + dispose'() {
    return measure(20, () => {
      for (let i = 0; i < 20; i++) {
        new ivm.Isolate().dispose();
      }
    });
  },

  async 'createContextSync + release'() {
    const isolate = new ivm.Isolate();
    const result = await measure(100, () => {
      for (let i = 0; i < 100; i++) {
        isolate.createContextSync().release();
      }
    });
    isolate.dispose();
    return result;
  },

  async "evalSync('1+1')"() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const result = await measure(10000, () => {
      for (let i = 0; i < 10000; i++) {
        context.evalSync('1+1');
      }
    });
    isolate.dispose();
    return result;
  },

  async "eval('1+1') awaited"() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const result = await measure(1000, async () => {
      for (let i = 0; i < 1000; i++) {
        await context.eval('1+1');
      }
    });
    isolate.dispose();
    return result;
  },

  async '1000 eval queued then awaited, 1 isolate'() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const result = await measure(1000, () => Promise.all(Array.from({ length: 1000 }, () => context.eval('1+1'))));
    isolate.dispose();
    return result;
  },

  async '1000 eval queued then awaited, 4 isolates'() {
    const isolates = Array.from({ length: 4 }, () => new ivm.Isolate());
    const contexts = isolates.map((isolate) => isolate.createContextSync());
    const result = await measure(1000, () => Promise.all(Array.from({ length: 1000 }, (_, i) => contexts[i % 4].eval('1+1'))));
    isolates.forEach((isolate) => isolate.dispose());
    return result;
  },

  async 'two 300 ms loops on two isolates (wall ms)'() {
    const isolates = [new ivm.Isolate(), new ivm.Isolate()];
    const contexts = isolates.map((isolate) => isolate.createContextSync());
    const loop = 'const end = Date.now() + 300; while (Date.now() < end);';
    const start = performance.now();
    await Promise.all(contexts.map((context) => context.eval(loop)));
    const wall = performance.now() - start;
    isolates.forEach((isolate) => isolate.dispose());
    return { wall_ms: round(wall) };
  },
};

(async () => {
  const results = {};
  for (const [name, run] of Object.entries(cases)) {
    if (only && !only.some((filter) => name.includes(filter))) {
      continue;
    }
    results[name] = await run();
  }
  console.log(JSON.stringify({ implementation: target, node: process.version, results }, null, 2));
})();
