'use strict';
// The layering of src/lib.rs holds (scripts/layers.js), and the check catches a module naming
// one above it, in either form of reference, and a module left out of the list.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const runtime = require('./support/runtime');

const script = path.join(__dirname, '..', 'scripts', 'layers.js');
const src = path.join(__dirname, '..', 'src');
function check(folder) {
  const [command, args] = runtime.command(script, folder ? ['--src', folder] : []);
  return spawnSync(command, args, { encoding: 'utf8' });
}

test('no module of src/ names a module of a layer above it', () => {
  const result = check();
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^layers: 13 modules in 9 layers, no module names one above it/);
});

test('the check finds references upwards and modules outside the layers', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-layers-'));
  try {
    fs.cpSync(src, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, 'isolate', 'timer.rs'), '\nfn upward() { let _ = crate::ops::Mode::Sync; }\n');
    fs.appendFileSync(path.join(copy, 'error.rs'), '\nuse crate::{value::Str, transfer::Transferable};\n');
    fs.writeFileSync(path.join(copy, 'stray.rs'), '//! Not in any layer.\n');
    const result = check(copy);
    assert.equal(result.status, 1);
    const lines = result.stderr.trim().split('\n').sort();
    const timerLine = fs.readFileSync(path.join(copy, 'isolate', 'timer.rs'), 'utf8').split('\n').length - 1;
    const errorLine = fs.readFileSync(path.join(copy, 'error.rs'), 'utf8').split('\n').length - 1;
    assert.deepEqual(lines, [
      `src/error.rs:${errorLine}: error names crate::transfer, a layer above it`,
      `src/isolate/timer.rs:${timerLine}: isolate names crate::ops, a layer above it`,
      'src/stray: not in any layer of src/lib.rs',
    ].sort());
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
