'use strict';
// index.d.ts: typical user code compiles, and wrong usages do not (test/types/misuse.ts marks
// each expected error with `@ts-expect-error`, which tsc reports when the error is missing).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('index.d.ts: tsc accepts typical usage and rejects each wrong usage', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('every runtime export is declared in index.d.ts', () => {
  const ivm = require('..');
  const declarations = require('node:fs').readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
  for (const name of Object.keys(ivm)) {
    assert.match(declarations, new RegExp(`export (class|const) ${name}\\b`), name);
  }
});
