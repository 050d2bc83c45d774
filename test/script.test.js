'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
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

// Compiling borrows the context made last, or makes a spare one that the next createContext()
// hands out (ops::isolate::in_compile_context).
test('compiling runs no code of the context it borrows, also when the code does not compile', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.evalSync(`
    globalThis.called = [];
    Object.defineProperty(Error, 'prepareStackTrace', { get() { called.push('prepareStackTrace'); for (;;); } });
    Object.defineProperty(SyntaxError.prototype, 'message', { get() { called.push('message'); return 'hostile'; } });
    undefined;`);
  assert.equal(isolate.compileScriptSync('6 * 7').runSync(context), 42);
  assert.throws(() => isolate.compileScriptSync('6 *', { filename: 'broken.js' }), (error) => {
    assert.equal(error.name, 'SyntaxError');
    assert.equal(error.message, 'Unexpected end of input [broken.js:1:4]');
    assert.match(error.stack, /^SyntaxError: Unexpected end of input \[broken\.js:1:4\]\n/);
    return true;
  });
  assert.throws(() => isolate.compileModuleSync('export const = 1;'), { name: 'SyntaxError', message: "Unexpected token '=' [<isolated-vm>:1:14]" });
  assert.deepEqual(context.evalSync('called', { copy: true }), []);
  isolate.dispose();
});

test('a context made after compiling is as new: no code ran in it, and no context is wasted', () => {
  const isolate = new ivm.Isolate();
  const script = isolate.compileScriptSync('typeof marker');
  isolate.compileModuleSync('export default 1;');
  const first = isolate.createContextSync();
  const second = isolate.createContextSync();
  const globals = (context) => context.evalSync('Object.getOwnPropertyNames(globalThis).sort().join()');
  assert.equal(globals(first), globals(second));
  assert.equal(isolate.getHeapStatisticsSync().number_of_native_contexts, 2);
  first.evalSync('globalThis.marker = 1');
  assert.equal(script.runSync(first), 'number');
  assert.equal(script.runSync(second), 'undefined');
  isolate.dispose();
});

test('scripts compiled in a context that is then released run in the others', () => {
  const isolate = new ivm.Isolate();
  const kept = isolate.createContextSync();
  const released = isolate.createContextSync();
  const script = isolate.compileScriptSync('globalThis.n = (globalThis.n || 0) + 1');
  released.release();
  assert.equal(script.runSync(kept), 1);
  assert.equal(isolate.compileScriptSync('n * 2').runSync(kept), 2);
  isolate.dispose();
});
