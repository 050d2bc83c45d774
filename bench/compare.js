#!/usr/bin/env node
'use strict';
// Runs every benchmark of bench/run.js against this package and, when its path is given, the
// original isolated-vm, alternating rounds in the same run, and prints a table of CPU time per
// operation (microseconds; all threads of the process): ours, original, and original / ours
// (above 1 means we are faster).
//
//   node bench/compare.js [path-to-original-isolated-vm] [--rounds N] [--only name,name]

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { args, option } = require('./options');
const rounds = Number(option('--rounds') ?? 3);
const only = option('--only');
const original = args[0] ? path.resolve(args[0]) : undefined;
const ours = path.join(__dirname, '..');

function run(target, nodeFlags) {
  const runArgs = [...nodeFlags, path.join(__dirname, 'run.js'), target, ...(only ? ['--only', only] : [])];
  const result = spawnSync(process.execPath, runArgs, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (result.status !== 0) {
    throw new Error(`benchmark of ${target} failed:\n${result.stderr}`);
  }
  return JSON.parse(result.stdout).results;
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
}

const figure = (result) => result?.cpu_us ?? result?.wall_ms ?? result?.rss_kb;
const samples = { ours: {}, original: {} };
for (let round = 0; round < rounds; round++) {
  const runs = [['ours', ours, []]];
  if (original) {
    // The original needs this flag on Node 20 and later.
    runs.push(['original', original, ['--no-node-snapshot']]);
  }
  for (const [side, target, flags] of round % 2 === 0 ? runs : [...runs].reverse()) {
    for (const [name, result] of Object.entries(run(target, flags))) {
      (samples[side][name] ??= []).push(figure(result));
    }
  }
}

const rows = Object.keys(samples.ours).map((name) => {
  const mine = median(samples.ours[name]);
  const theirs = original ? median(samples.original[name] ?? []) : undefined;
  const unit = name.includes('(wall ms)') ? 'ms wall' : name.includes('(KB') ? 'KB' : 'us cpu';
  const ratio = theirs !== undefined && mine ? (theirs / mine).toFixed(2) : '';
  return [name, `${mine} ${unit}`, theirs === undefined ? '' : `${theirs} ${unit}`, ratio];
});
const header = ['operation', 'ours', 'original', 'original / ours'];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => String(row[i]).length)));
const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) {
  console.log(line(row));
}
console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${require('node:os').cpus().length} CPUs (${require('node:os').cpus()[0]?.model ?? 'unknown'}), median of ${rounds} rounds.`);
