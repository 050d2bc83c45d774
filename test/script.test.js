'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

test('a script runs in any context of its isolate, sync, async and ignored', async () => {
  const isolate = new ivm.Isolate();
  const first = isolate.createContextSync();
  const second = isolate.createContextSync();
  const script = isolate.compileScriptSync('globalThis.count = (globalThis.count || 0) + 1');
  assert.equal(script.runSync(first), 1);
  assert.equal(script.runSync(first), 2);
  assert.equal(await script.run(second), 1);
  assert.equal(script.runIgnored(second), undefined);
  assert.equal(await second.eval('count'), 2);
  const asyncCompiled = await isolate.compileScript('6 * 7');
  assert.ok(asyncCompiled instanceof ivm.Script);
  assert.equal(asyncCompiled.runSync(first), 42);
  isolate.dispose();
});

test('run with { release: true } releases the script', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync('1');
  assert.equal(script.runSync(context, { release: true }), 1);
  assert.throws(() => script.runSync(context), { name: 'Error', message: 'Script has been released' });
  const other = isolate.compileScriptSync('2');
  assert.equal(await other.run(context, { release: true }), 2);
  await assert.rejects(other.run(context), { name: 'Error', message: 'Script has been released' });
  assert.throws(() => script.runSync(context, { release: 1 }), { name: 'TypeError', message: '`release` must be a boolean' });
  isolate.dispose();
});

test('release() makes the script unusable', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync('1');
  script.release();
  assert.throws(() => script.runSync(context), { name: 'Error', message: 'Script has been released' });
  assert.equal(script.release(), undefined);
  isolate.dispose();
});

test('a script cannot run in a context of another isolate', async () => {
  const first = new ivm.Isolate();
  const second = new ivm.Isolate();
  const script = first.compileScriptSync('1');
  const foreign = second.createContextSync();
  assert.throws(() => script.runSync(foreign), { name: 'Error', message: 'Invalid context' });
  await assert.rejects(script.run(foreign), { name: 'Error', message: 'Invalid context' });
  assert.throws(() => script.runSync({}), { name: 'TypeError', message: '`runSync` requires parameter 1 to be a Context' });
  assert.throws(() => script.runSync(), { name: 'TypeError', message: '`runSync` requires at least 1 parameter' });
  first.dispose();
  second.dispose();
});

test('run honours timeout and the script stays usable', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const loop = isolate.compileScriptSync('for (;;) {}');
  assert.throws(() => loop.runSync(context, { timeout: 20 }), { name: 'Error', message: 'Script execution timed out.' });
  await assert.rejects(loop.run(context, { timeout: 20 }), { name: 'Error', message: 'Script execution timed out.' });
  assert.equal(isolate.compileScriptSync('"still alive"').runSync(context), 'still alive');
  isolate.dispose();
});
