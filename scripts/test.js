#!/usr/bin/env node
'use strict';
// `npm test`: the whole test suite under every runtime of scripts/runtimes.js (the machine's
// Node.js, Node.js 22 and 24, Bun and Deno), from the one build. Each runs its own test runner
// (node --test, bun test, deno test) on the same files; two run at a time (the suites mostly
// wait on isolates and child processes). Each suite's output is printed when it ends, then a
// summary: per runtime, tests passed, failed and skipped (with the reasons the skipped tests
// printed), and a total. `node-oop` is the machine's Node.js again, with every isolate out of
// process, and `deno-oop` Deno so. Fails when a runtime is missing (`npm run runtimes` installs them) or
// any test fails. A whole run starts with the Rust side's checks (scripts/check-rust.js).
//
//   node scripts/test.js [--only name,name] [test files...]

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { runtimes } = require('./runtimes');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt === -1 ? undefined : args.splice(onlyAt, 2)[1].split(',');
const files = args.length > 0 ? args : fs.readdirSync(path.join(root, 'test')).filter((file) => file.endsWith('.test.js')).sort().map((file) => path.join('test', file));
const PARALLEL = 2;
// The API's suites run a second time on the machine's Node.js and on Deno with every isolate out
// of process (test/support/runtime.js: tests that cannot apply there say why they skip); not
// these, which test the package, the sources or the out-of-process mode itself.
const NOT_AGAIN_OUT_OF_PROCESS = ['layers', 'package', 'protocol', 'remote', 'types'].map((name) => path.join('test', `${name}.test.js`));

// How each runner is started, and how its closing lines count tests.
const RUNNERS = {
  node: {
    args: (suiteFiles) => ['--test', '--test-reporter=tap', '--test-concurrency=1', ...suiteFiles],
    count: (output) => ({ passed: last(output, /^# pass (\d+)$/m), failed: last(output, /^# fail (\d+)$/m) + last(output, /^# cancelled (\d+)$/m), skipped: last(output, /^# skipped (\d+)$/m) }),
  },
  bun: {
    args: (suiteFiles) => ['test', '--timeout', '300000', ...suiteFiles.map((file) => `./${file}`)],
    // Bun leaves out the skip line when nothing was skipped.
    count: (output) => ({ passed: last(output, /^ *(\d+) pass$/m), failed: last(output, /^ *(\d+) fail$/m), skipped: last(output, /^ *(\d+) skip$/m) || 0 }),
  },
  deno: {
    args: (suiteFiles) => ['test', '--allow-all', '--no-check', ...suiteFiles],
    count: (output) => {
      const summary = output.match(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/g)?.pop() ?? '';
      const [, passed, failed, ignored] = summary.match(/(\d+) passed.*?\| (\d+) failed(?:.*?\| (\d+) ignored)?/) ?? [];
      return { passed: Number(passed ?? NaN), failed: Number(failed ?? NaN), skipped: Number(ignored ?? 0) };
    },
  },
};

function last(output, pattern) {
  const matches = [...output.matchAll(new RegExp(pattern.source, 'gm'))];
  return matches.length === 0 ? NaN : Number(matches[matches.length - 1][1]);
}

// Output without colors (FORCE_COLOR, even set to 0, makes Deno color what it prints).
function withoutColor(env) {
  const { FORCE_COLOR, ...rest } = env; // eslint-disable-line no-unused-vars
  return rest;
}

function runnerOf(name) {
  return name.startsWith('node') ? RUNNERS.node : RUNNERS[name.replace(/-oop$/, '')];
}

// Runs one suite; resolves with its output, exit status, counts, skip reasons and duration.
function runSuite(runtime) {
  return new Promise((resolve) => {
    const started = Date.now();
    const runner = runnerOf(runtime.name);
    const suiteFiles = runtime.outOfProcess ? files.filter((file) => !NOT_AGAIN_OUT_OF_PROCESS.includes(file)) : files;
    const child = spawn(runtime.binary, runner.args(suiteFiles), {
      cwd: root,
      env: { ...withoutColor(process.env), NO_COLOR: '1', ...(runtime.outOfProcess ? { ISOLATED_VM_TEST_OUT_OF_PROCESS: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (status, signal) => {
      output = output.replace(/\x1b\[[0-9;]*m/g, '');
      const counts = runner.count(output);
      const skips = [...new Set([...output.matchAll(/skipped on \S+ \S+: (.*)$/gm)].map((match) => match[1].trim()))];
      resolve({ runtime, output, status: signal ? signal : status, counts, skips, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function main() {
  const installed = runtimes();
  // (Bun has no out-of-process isolates.)
  const deno = installed.find((runtime) => runtime.name === 'deno');
  const outOfProcess = [{ ...installed[0], name: 'node-oop', outOfProcess: true }, { ...deno, name: 'deno-oop', outOfProcess: true }];
  const all = [...installed, ...outOfProcess].filter((runtime) => only === undefined || only.includes(runtime.name));
  const missing = all.filter((runtime) => runtime.missing);
  if (missing.length > 0) {
    console.error(`test: missing runtimes: ${missing.map((runtime) => `${runtime.name} ${runtime.version}`).join(', ')}; run \`npm run runtimes\` to install them`);
    process.exit(1);
  }
  if (args.length === 0 && only === undefined) {
    const checks = spawnSync(process.execPath, [path.join(__dirname, 'check-rust.js')], { cwd: root, stdio: 'inherit' });
    if (checks.status !== 0) {
      process.exit(1);
    }
  }
  const started = Date.now();
  const queue = [...all];
  const results = [];
  await Promise.all(Array.from({ length: Math.min(PARALLEL, os.availableParallelism?.() ?? 2) }, async () => {
    while (queue.length > 0) {
      const result = await runSuite(queue.shift());
      process.stdout.write(`\n===== ${result.runtime.name} ${result.runtime.version} (${result.seconds.toFixed(0)} s) =====\n${result.output}\n`);
      results.push(result);
    }
  }));
  results.sort((a, b) => all.indexOf(a.runtime) - all.indexOf(b.runtime));

  console.log('\n===== summary =====');
  const total = { passed: 0, failed: 0, skipped: 0 };
  let ok = true;
  for (const { runtime, status, counts, skips, seconds } of results) {
    const complete = Object.values(counts).every(Number.isFinite);
    const good = status === 0 && complete && counts.failed === 0;
    ok &&= good;
    for (const key of Object.keys(total)) {
      total[key] += complete ? counts[key] : 0;
    }
    const line = complete ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : 'no test counts (the runner did not finish)';
    console.log(`${runtime.name.padEnd(8)} ${runtime.version.padEnd(8)} ${line}, exit ${status}, ${seconds.toFixed(0)} s${good ? '' : '  <- FAILED'}`);
    for (const reason of skips) {
      console.log(`        skipped: ${reason}`);
    }
  }
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exit(ok ? 0 : 1);
}

main();
