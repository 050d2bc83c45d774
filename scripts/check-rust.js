#!/usr/bin/env node
'use strict';
// The Rust side's own checks, run by `npm test` before the suites: formatting (rustfmt.toml),
// lints (clippy, every warning an error), the unit tests of the pure parts (`cargo test`) and
// the layering of src/lib.rs (scripts/layers.js). Fails at the first that fails.
//
//   node scripts/check-rust.js

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { cargoEnv } = require('./v8-archive');

const root = path.join(__dirname, '..');
const env = cargoEnv();
const steps = [
  ['formatting', 'cargo', ['fmt', '--check']],
  ['lints', 'cargo', ['clippy', '--release', '--locked', '--all-targets', '--', '-D', 'warnings']],
  ['unit tests', 'cargo', ['test', '--release', '--locked']],
  ['layers', process.execPath, [path.join(__dirname, 'layers.js')]],
];
for (const [name, command, args] of steps) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`check-rust: ${name} failed (${[command, ...args].join(' ')})${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(1);
  }
  console.log(`check-rust: ${name} passed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
