#!/usr/bin/env node
'use strict';
// Builds the native addon in release mode and puts it where lib/binding.js looks for it
// (offline where a V8 library is at hand: scripts/v8-archive.js).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { candidates } = require('../lib/platform');

const { cargoEnv } = require('./v8-archive');

const root = path.resolve(__dirname, '..');
const env = cargoEnv();

const cargo = spawnSync('cargo', ['build', '--release', '--locked'], { cwd: root, env, stdio: 'inherit' });
if (cargo.error) {
  console.error(`isolated-vm: could not run cargo (${cargo.error.message}); a Rust toolchain is needed to build from source`);
  process.exit(1);
}
if (cargo.status !== 0) {
  process.exit(cargo.status ?? 1);
}

const extension = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
const prefix = process.platform === 'win32' ? '' : 'lib';
const built = path.join(root, 'target', 'release', `${prefix}isolated_vm.${extension}`);
const target = path.join(root, `isolated-vm.${candidates().triples[0]}.node`);
// Replaced by renaming, not overwritten: processes still running the old binary keep it mapped.
fs.copyFileSync(built, `${target}.tmp`);
fs.renameSync(`${target}.tmp`, target);
console.log(`isolated-vm: built ${path.relative(root, target)}`);
