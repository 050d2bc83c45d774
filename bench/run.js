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

const { args, option } = require('./options');
const only = option('--only')?.split(',');
const batches = Number(option('--batches') ?? 9);
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
// `prepare`, when given, runs untimed before each batch and its result is passed to it.
async function measure(count, batch, prepare = () => undefined) {
  await batch(await prepare()); // warm-up
  const walls = [];
  const cpus = [];
  for (let i = 0; i < batches; i++) {
    const input = await prepare();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await batch(input);
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    walls.push((wall * 1000) / count);
    cpus.push((used.user + used.system) / count);
  }
  return { wall_us: round(median(walls)), cpu_us: round(median(cpus)) };
}

// About 1 MB as JSON: 5000 small records (15 000 objects, 45 000 values).
function objectGraph() {
  return Array.from({ length: 5000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', 'c'], nested: { value: i * 1.5, flag: i % 2 === 0 } }));
}

// Moves one buffer into an isolate and back out, again and again: no copy, no garbage.
async function transferBuffer(size) {
  const isolate = new ivm.Isolate({ memoryLimit: 256 });
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  const takeBack = context.evalSync('(function () { return new ivm.ExternalCopy(buffer, { transferOut: true }); })', { reference: true });
  let buffer = new ArrayBuffer(size);
  const count = 100;
  const result = await measure(count, () => {
    for (let i = 0; i < count; i++) {
      context.global.setSync('buffer', new ivm.ExternalCopy(buffer, { transferOut: true }).copyInto({ transferIn: true }));
      buffer = takeBack.applySync().copy({ transferIn: true });
    }
  });
  if (buffer.byteLength !== size) {
    throw new Error('the buffer was not moved');
  }
  isolate.dispose();
  return result;
}

// About 200 KB of code shaped like a bundle: many small functions and some top-level data.
function bundle() {
  const parts = [];
  for (let i = 0; parts.join('').length < 200 * 1024; i++) {
    parts.push(`function helper${i}(items, options) {
  const result = [];
  for (const item of items) {
    if (item && typeof item === 'object' && item.id % ${i + 2} === 0) {
      result.push({ ...item, label: options.prefix + String(item.id), rank: ${i} });
    } else if (Array.isArray(item)) {
      result.push(item.map((x) => x * ${i + 1}).filter(Boolean));
    }
  }
  return result.sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
}
exportsTable['helper${i}'] = helper${i};
`);
  }
  return `const exportsTable = {};\n${parts.join('')}Object.keys(exportsTable).length;`;
}

// Compiles `code` once per batch in a fresh isolate, as a new tenant or worker does (V8 caches
// compilations per isolate, so an isolate that compiled the code before would measure its cache).
// Making the isolate is untimed.
async function compileInFreshIsolates(code, options) {
  const isolates = [];
  const result = await measure(1, (isolate) => isolate.compileScriptSync(code, options), () => {
    const isolate = new ivm.Isolate();
    isolates.push(isolate);
    return isolate;
  });
  isolates.forEach((isolate) => isolate.dispose());
  return result;
}

// Makes a code cache of `code` in an isolate of its own.
function cachedDataOf(code) {
  const producer = new ivm.Isolate();
  const { cachedData } = producer.compileScriptSync(code, { produceCachedData: true });
  producer.dispose();
  return cachedData;
}

// Resident memory per idle isolate with one context, in KB: `count` of them made at once.
function idleIsolateMemory(count) {
  const before = process.memoryUsage.rss();
  const isolates = [];
  for (let i = 0; i < count; i++) {
    const isolate = new ivm.Isolate();
    isolate.createContextSync().evalSync('1');
    isolates.push(isolate);
  }
  const perIsolate = (process.memoryUsage.rss() - before) / count / 1024;
  isolates.forEach((isolate) => isolate.dispose());
  return { rss_kb: Math.round(perIsolate) };
}

// About 500 KB of library code for the snapshot cases, shaped like a utility library: an IIFE
// of functions with real bodies, and tables built when it loads (what snapshots save).
function library() {
  const parts = ['(function () {\n  const lib = {};\n'];
  for (let i = 0; parts.join('').length < 480 * 1024; i++) {
    parts.push(`  function helper${i}(input, options) {
    const result = [];
    for (let k = 0; k < input.length; k++) {
      const value = input[k];
      switch (typeof value) {
        case 'number': result.push(value * ${i + 1} + (options && options.offset || 0)); break;
        case 'string': result.push(value.toUpperCase() + '-${i}'); break;
        case 'object': result.push(value === null ? null : Object.keys(value).length); break;
        default: result.push(undefined);
      }
    }
    return options && options.reverse ? result.reverse() : result;
  }
  lib.helper${i} = helper${i};
`);
  }
  parts.push(`  // Tables built at load time.
  lib.squares = new Float64Array(65536).map((_, i) => Math.sqrt(i));
  lib.words = new Map();
  for (let i = 0; i < 20000; i++) lib.words.set('word' + i, { id: i, length: String(i).length });
  lib.f0 = lib.helper0;
  globalThis.lib = lib;
})();
`);
  return parts.join('');
}

// Creates an isolate and a context ready to use the library, one per batch; disposal untimed.
async function createWithLibrary(make) {
  const isolates = [];
  const result = await measure(1, () => {
    const { isolate, context } = make();
    if (context.evalSync('typeof lib.f0') !== 'function') {
      throw new Error('the library is missing');
    }
    isolates.push(isolate);
  });
  isolates.forEach((isolate) => isolate.dispose());
  return result;
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

  async 'Reference.applySync round trip'() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const fn = context.evalSync('(function (a) { return a + 1 })', { reference: true });
    const result = await measure(10000, () => {
      for (let i = 0; i < 10000; i++) {
        fn.applySync(undefined, [i]);
      }
    });
    isolate.dispose();
    return result;
  },

  async 'host callback x100000 from isolate code (per call)'() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    let sum = 0;
    context.global.setSync('host', (x) => {
      sum += x;
    });
    const result = await measure(100000, () => {
      context.evalSync('for (let i = 0; i < 100000; i++) host(i)');
    });
    isolate.dispose();
    return result;
  },

  async 'new ExternalCopy of a 1 MB object graph (host copy)'() {
    const graph = objectGraph();
    return measure(1, () => new ivm.ExternalCopy(graph));
  },

  async 'ExternalCopy of a 1 MB object graph copied back to the host'() {
    const copy = new ivm.ExternalCopy(objectGraph());
    return measure(1, () => copy.copy());
  },

  async 'ExternalCopy of a 1 MB object graph into an isolate and back'() {
    const graph = objectGraph();
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const result = await measure(1, () => {
      context.global.setSync('graph', new ivm.ExternalCopy(graph).copyInto());
      context.evalSync('graph', { copy: true });
    });
    isolate.dispose();
    return result;
  },

  async '16 MB ArrayBuffer into an isolate, copied'() {
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const buffer = new ArrayBuffer(16 * 1024 * 1024);
    const result = await measure(1, () => {
      context.global.setSync('buffer', new ivm.ExternalCopy(buffer).copyInto());
    });
    isolate.dispose();
    return result;
  },

  async '16 MB ArrayBuffer into an isolate and back, transferred'() {
    return transferBuffer(16 * 1024 * 1024);
  },

  async '64 KB ArrayBuffer into an isolate and back, transferred'() {
    return transferBuffer(64 * 1024);
  },

  async '200 KB script, compileScriptSync cold, fresh isolate'() {
    return compileInFreshIsolates(bundle());
  },

  async '200 KB script, compileScriptSync with cachedData, fresh isolate'() {
    const code = bundle();
    return compileInFreshIsolates(code, { cachedData: cachedDataOf(code) });
  },

  async 'new Isolate, compile 200 KB with cachedData, createContextSync, run'() {
    const code = bundle();
    const cachedData = cachedDataOf(code);
    const isolates = [];
    const result = await measure(1, () => {
      const isolate = new ivm.Isolate();
      const script = isolate.compileScriptSync(code, { cachedData });
      script.runSync(isolate.createContextSync());
      isolates.push(isolate);
    });
    isolates.forEach((isolate) => isolate.dispose());
    return result;
  },

  async '200 KB script, compileScriptSync with produceCachedData, fresh isolate'() {
    return compileInFreshIsolates(bundle(), { produceCachedData: true });
  },

  async '200 KB script, compiled again in the same isolate'() {
    const code = bundle();
    const isolate = new ivm.Isolate();
    const result = await measure(10, () => {
      for (let i = 0; i < 10; i++) {
        isolate.compileScriptSync(code);
      }
    });
    isolate.dispose();
    return result;
  },

  async '50-module graph, instantiate + evaluate'() {
    const isolate = new ivm.Isolate();
    // Module i imports the two before it, so the graph shares dependencies.
    const source = (i) => {
      const imports = [i - 1, i - 2].filter((j) => j >= 0);
      return `${imports.map((j) => `import { value as v${j} } from 'm${j}';`).join('\n')}
export const value = ${i} + ${imports.map((j) => `v${j}`).join(' + ') || 0};`;
    };
    const result = await measure(1, async ({ context, modules }) => {
      const root = modules.get('m49');
      await root.instantiate(context, (specifier) => modules.get(specifier));
      await root.evaluate();
    }, async () => {
      const context = await isolate.createContext();
      const modules = new Map();
      for (let i = 0; i < 50; i++) {
        modules.set(`m${i}`, isolate.compileModuleSync(source(i)));
      }
      return { context, modules };
    });
    isolate.dispose();
    return result;
  },

  async 'isolate + context running a 500 KB library'() {
    const code = library();
    return createWithLibrary(() => {
      const isolate = new ivm.Isolate();
      const context = isolate.createContextSync();
      context.evalSync(code);
      return { isolate, context };
    });
  },

  async 'isolate + context from a snapshot of that library'() {
    if (typeof ivm.Isolate.createSnapshot !== 'function') {
      return {};
    }
    const snapshot = ivm.Isolate.createSnapshot([{ code: library() }]);
    return createWithLibrary(() => {
      const isolate = new ivm.Isolate({ snapshot });
      return { isolate, context: isolate.createContextSync() };
    });
  },

  async 'CPU-bound eval on 4 isolates at once'() {
    const isolates = Array.from({ length: 4 }, () => new ivm.Isolate());
    const contexts = isolates.map((isolate) => isolate.createContextSync());
    const work = '(() => { let sum = 0; for (let i = 0; i < 1e6; i++) sum += i % 7; return sum; })()';
    // Steady state: the code is optimized in every isolate before the batches are timed.
    for (let i = 0; i < 10; i++) {
      await Promise.all(contexts.map((context) => context.eval(work)));
    }
    const result = await measure(20, async () => {
      for (let i = 0; i < 5; i++) {
        await Promise.all(contexts.map((context) => context.eval(work)));
      }
    });
    isolates.forEach((isolate) => isolate.dispose());
    return result;
  },

  async 'idle isolate + context, resident memory (KB each, 200 at once)'() {
    return idleIsolateMemory(200);
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
