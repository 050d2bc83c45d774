#!/usr/bin/env node
'use strict';
// Builds the native addon in release mode and puts it where lib/binding.js looks for it.
//
// Offline builds: the v8 crate downloads a prebuilt V8 unless RUSTY_V8_ARCHIVE points at one.
// Where a `shared/rusty_v8` folder with the archive exists next to (or above) the repository, or
// next to (or above) the repository it was cloned from, it is used; elsewhere the variable is
// left unset and the official download happens.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { candidates } = require('../lib/platform');

const root = path.resolve(__dirname, '..');
const ARCHIVE = 'librusty_v8_release_x86_64-unknown-linux-gnu.a.gz';

// `shared/rusty_v8/<archive>` in `start` or a folder above it, or beside one of them.
function archiveAbove(start) {
  for (let dir = start; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'shared', 'rusty_v8', ARCHIVE), path.join(path.dirname(dir), 'shared', 'rusty_v8', ARCHIVE)]) {
      if (fs.existsSync(candidate)) {
        return candidate;
      }
    }
    if (path.dirname(dir) === dir) {
      return undefined;
    }
  }
}

// The local repository this one was cloned from, if any (a clone in /tmp still builds offline).
function origin() {
  const result = spawnSync('git', ['-C', root, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8' });
  const url = result.status === 0 ? result.stdout.trim().replace(/^file:\/\//, '') : '';
  return url && path.isAbsolute(url) && fs.existsSync(url) ? path.resolve(url) : undefined;
}

function findArchive() {
  if (process.env.RUSTY_V8_ARCHIVE) {
    return process.env.RUSTY_V8_ARCHIVE;
  }
  const from = origin();
  return archiveAbove(root) ?? (from === undefined ? undefined : archiveAbove(from));
}

const env = { ...process.env };
const archive = findArchive();
if (archive && process.arch === 'x64' && process.platform === 'linux') {
  env.RUSTY_V8_ARCHIVE = archive;
  console.log(`isolated-vm: using the V8 library at ${archive}`);
}

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
