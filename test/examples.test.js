'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

function runExample(name) {
  return spawnSync(process.execPath, [path.join(__dirname, '..', 'examples', name)], { encoding: 'utf8', timeout: 60_000 });
}

test('examples/basic.js: the documented program runs and the host survives the hostile script', () => {
  const result = runExample('basic.js');
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines[0], 'hello world');
  assert.equal(lines[1], "I've wasted 2MB");
  // It gets close to the 128 MB limit, and no further than the limit allows.
  const wasted = lines.filter((line) => line.startsWith("I've wasted")).length * 2;
  assert.ok(wasted >= 100 && wasted <= 130, `wasted ${wasted} MB`);
  assert.match(result.stderr, /Isolate was disposed during execution due to memory limit|Array buffer allocation failed/);
});
