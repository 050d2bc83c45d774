'use strict';
// Where the V8 library the v8 crate links comes from. The crate downloads a prebuilt V8 unless
// RUSTY_V8_ARCHIVE points at one. Where a `shared/rusty_v8` folder with the archive exists next
// to (or above) the repository, or next to (or above) the repository it was cloned from, it is
// used, so that a fresh clone builds offline; elsewhere the variable is left unset and the
// official download happens. Used by every script that runs cargo.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

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

// The environment to run cargo in.
function cargoEnv() {
  const env = { ...process.env };
  const archive = findArchive();
  if (archive && process.arch === 'x64' && process.platform === 'linux') {
    env.RUSTY_V8_ARCHIVE = archive;
    console.log(`isolated-vm: using the V8 library at ${archive}`);
  }
  return env;
}

module.exports = { cargoEnv };
