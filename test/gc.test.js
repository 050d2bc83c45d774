'use strict';
// Isolates nobody references any more give their memory back when Node's garbage collector
// finalizes their last handle, not some time later.
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

test('dropped isolates are destroyed when Node finalizes them', runtime.inProcessOnly('the isolate is not in this process\'s memory (test/remote.test.js shows its child ending when it is collected)'), () => {
  const output = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'fixtures', 'dropped.js'), '20'], { encoding: 'utf8', timeout: 60_000 });
  const { grown, freed } = JSON.parse(output);
  // Each holds 8 MB of doubles; their heaps are unmapped as they are destroyed.
  assert.ok(grown > 20 * 8e6, `grew ${grown} bytes`);
  assert.ok(freed > 0.6 * grown, `freed ${freed} of ${grown} bytes`);
});
