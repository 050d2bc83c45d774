#!/usr/bin/env node
'use strict';
// Out-of-process isolates against in-process ones, in the same run: wall time per operation
// (medians over batches; the child's work is not this process's CPU time, so wall time is the
// figure that compares), and the resident memory an idle isolate adds (its child's, out of
// process). Prints a table.
//
//   node bench/remote.js [--batches N]

const { performance } = require('node:perf_hooks');

const { option } = require('./options');
const ivm = require('..');
const { isolateChildren, residentKb } = require('../test/support/processes');

const batches = Number(option('--batches') ?? 7);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Wall microseconds per operation of `batch(count)`, after a warm-up batch.
function measure(count, batch) {
  batch(count);
  const walls = [];
  for (let i = 0; i < batches; i++) {
    const start = performance.now();
    batch(count);
    walls.push(((performance.now() - start) * 1000) / count);
  }
  return median(walls);
}

const CASES = {
  'new Isolate + createContextSync + dispose': (options) => (count) => {
    for (let i = 0; i < count; i++) {
      const isolate = new ivm.Isolate(options);
      isolate.createContextSync();
      isolate.dispose();
    }
  },
  "evalSync('1+1')": (options) => {
    const context = new ivm.Isolate(options).createContextSync();
    return (count) => {
      for (let i = 0; i < count; i++) {
        context.evalSync('1+1');
      }
    };
  },
  'host callback from the guest (per call, 1000 a run)': (options) => {
    const context = new ivm.Isolate(options).createContextSync();
    context.global.setSync('host', (n) => n + 1);
    return (count) => context.evalSync(`{ let n = 0; for (let i = 0; i < ${count}; i++) n = host(n); n }`);
  },
  // In-process isolate code calling an isolate given to it (out of process: through a forwarder).
  "evalSync('1+1') from isolate code (per call, 1000 a run)": (options) => {
    const target = new ivm.Isolate(options).createContextSync();
    const caller = new ivm.Isolate().createContextSync();
    caller.global.setSync('target', target);
    return (count) => caller.evalSync(`for (let i = 0; i < ${count}; i++) target.evalSync('1+1')`);
  },
  '1 MB ExternalCopy into the guest': (options) => {
    const context = new ivm.Isolate(options).createContextSync();
    const copy = new ivm.ExternalCopy({ rows: Array.from({ length: 10_000 }, (_, i) => ({ i, name: `row ${i}`, tags: ['a', 'b', 'c'], score: i / 7 })) });
    return (count) => {
      for (let i = 0; i < count; i++) {
        context.global.setSync('data', copy.copyInto());
      }
    };
  },
};
const COUNTS = { 'new Isolate + createContextSync + dispose': 5, "evalSync('1+1')": 10000, 'host callback from the guest (per call, 1000 a run)': 1000, "evalSync('1+1') from isolate code (per call, 1000 a run)": 1000, '1 MB ExternalCopy into the guest': 5 };

const rows = [];
for (const [name, make] of Object.entries(CASES)) {
  const inProcess = measure(COUNTS[name], make({}));
  const outOfProcess = measure(COUNTS[name], make({ outOfProcess: true }));
  rows.push([name, `${inProcess.toFixed(1)} us`, `${outOfProcess.toFixed(1)} us`]);
}

// A new isolate given time for a spare child to start (out of process) between creations.
async function warmStart() {
  const starts = [];
  for (let i = 0; i < batches; i++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const start = performance.now();
    const isolate = new ivm.Isolate({ outOfProcess: true });
    starts.push((performance.now() - start) * 1000);
    isolate.dispose();
  }
  return median(starts);
}

async function main() {
  rows.splice(1, 0, ['new Isolate, a spare child ready', '-', `${(await warmStart()).toFixed(1)} us`]);
  // Idle memory: what 10 idle isolates with a context each add, per isolate.
  const IDLE = 10;
  const before = residentKb(process.pid);
  const kept = Array.from({ length: IDLE }, () => new ivm.Isolate().createContextSync());
  const inProcessIdle = (residentKb(process.pid) - before) / IDLE;
  const pidsBefore = isolateChildren();
  const keptOut = Array.from({ length: IDLE }, () => new ivm.Isolate({ outOfProcess: true }).createContextSync());
  const children = isolateChildren().filter((pid) => !pidsBefore.includes(pid));
  const outOfProcessIdle = children.reduce((sum, pid) => sum + residentKb(pid), 0) / children.length;
  rows.push(['resident memory per idle isolate with a context', `${Math.round(inProcessIdle)} KB`, `${Math.round(outOfProcessIdle)} KB`]);

  const header = ['operation', 'in process', 'out of process'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) {
    console.log(line(row));
  }
  console.log(`(${kept.length + keptOut.length} idle isolates measured)`);
  process.exit(0);
}

main();
