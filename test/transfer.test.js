'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const ivm = require('..');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  return { isolate, context };
}

test('copy, externalCopy and reference options on results', async () => {
  const { isolate, context } = setup();
  const code = '({ list: [1, 2] })';
  assert.deepEqual(context.evalSync(code, { copy: true }), { list: [1, 2] });
  assert.deepEqual(context.evalSync(code, { externalCopy: true }).copy(), { list: [1, 2] });
  assert.equal(context.evalSync(code, { reference: true }).typeof, 'object');
  assert.deepEqual(await context.eval(code, { copy: true }), { list: [1, 2] });
  const script = isolate.compileScriptSync(code);
  assert.deepEqual(script.runSync(context, { copy: true }), { list: [1, 2] });
  assert.equal((await script.run(context, { reference: true })).typeof, 'object');
  assert.deepEqual(context.evalClosureSync('return { n: $0 }', [1], { result: { copy: true } }), { n: 1 });
  // Without an option, objects are not transferable: eval gives undefined.
  assert.equal(context.evalSync(code), undefined);
  isolate.dispose();
});

test('copy, externalCopy and reference options on arguments', () => {
  const { isolate, context } = setup();
  const host = { list: [3] };
  assert.equal(context.evalClosureSync('return $0.list[0]', [host], { arguments: { copy: true } }), 3);
  assert.equal(context.evalClosureSync('return $0.copy().list[0]', [host], { arguments: { externalCopy: true } }), 3);
  assert.equal(context.evalClosureSync('return $0.typeof', [host], { arguments: { reference: true } }), 'object');
  assert.throws(() => context.evalClosureSync('return 1', [host]), { name: 'TypeError', message: 'A non-transferable value was passed' });
  assert.throws(() => context.evalClosureSync('return 1', [], { arguments: { copy: true, externalCopy: true } }), {
    name: 'TypeError',
    message: 'Only one of `copy`, `externalCopy`, or `reference` may be set',
  });
  isolate.dispose();
});

test('released objects pass on as released objects of their class (a released copy cannot be given)', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  const released = {
    Reference: [new ivm.Reference({}), 'x.typeof', 'Reference has been released'],
    Context: [isolate.createContextSync(), 'x.evalSync("1")', 'Context is released'],
    Module: [isolate.compileModuleSync('export default 1'), 'x.namespace', 'Module has been released'],
  };
  for (const [name, [object, use, message]] of Object.entries(released)) {
    object.release();
    context.global.setSync('x', object);
    assert.equal(context.evalSync(`x instanceof ivm.${name}`), true, name);
    assert.throws(() => context.evalSync(use), { name: 'Error', message }, name);
    // And back, still released.
    const back = context.global.getSync('x');
    assert.ok(back instanceof ivm[name], name);
    assert.equal(context.evalClosureSync('return $0 instanceof ivm.' + name, [back]), true, name);
  }
  assert.throws(() => context.global.getSync('x').namespace, { name: 'Error', message: 'Module has been released' });
  for (const module of [released.Module[0], context.global.getSync('x')]) {
    assert.throws(() => module.dependencySpecifiers, { name: 'Error', message: 'Module has been released' });
  }
  context.global.setSync('x', released.Reference[0]);
  assert.throws(() => context.global.getSync('x').typeof, { name: 'Error', message: 'Reference has been released' });
  const copy = new ivm.ExternalCopy(1);
  copy.release();
  assert.throws(() => context.global.setSync('x', copy), { name: 'Error', message: 'Copy has been released' });
  isolate.dispose();
});

test('the promise option proxies an isolate promise to Node', async () => {
  const { isolate, context } = setup();
  assert.equal(await context.evalSync('Promise.resolve(5)', { promise: true }), 5);
  assert.equal(await context.eval('Promise.resolve(6)', { promise: true }), 6);
  await assert.rejects(context.evalSync('Promise.reject(new RangeError("no"))', { promise: true }), { name: 'RangeError', message: 'no' });
  // Pending promises settle later, when the isolate resolves them.
  const pending = context.evalSync('new Promise((resolve) => { globalThis.resolveLater = resolve; })', { promise: true });
  assert.ok(pending instanceof Promise);
  context.evalSync('resolveLater({ deep: [1] })');
  await assert.rejects(pending, { name: 'TypeError', message: 'A non-transferable value was passed' });
  const copied = context.evalSync('new Promise((resolve) => { globalThis.resolveAgain = resolve; })', { promise: true, copy: true });
  context.evalSync('resolveAgain({ deep: [1] })');
  assert.deepEqual(await copied, { deep: [1] });
  // A plain value becomes a resolved promise.
  assert.equal(await context.evalSync('7', { promise: true }), 7);
  isolate.dispose();
});

test('the promise option proxies a Node promise into an isolate', async () => {
  const { isolate, context } = setup();
  const result = context.evalClosureSync(
    'return $0.then((v) => v * 2, (e) => "caught " + e.message)',
    [new Promise((resolve) => setTimeout(() => resolve(21), 10))],
    { arguments: { promise: true }, result: { promise: true } },
  );
  assert.equal(await result, 42);
  const rejected = context.evalClosureSync('return $0.catch((e) => e.constructor.name + ": " + e.message)', [Promise.reject(new TypeError('host'))], {
    arguments: { promise: true },
    result: { promise: true },
  });
  assert.equal(await rejected, 'TypeError: host');
  context.global.setSync('later', new ivm.Reference(() => new Promise((resolve) => setTimeout(() => resolve('later'), 10))));
  assert.equal(await context.eval('later.apply(undefined, [], { result: { promise: true } })', { promise: true }), 'later');
  // Without the option, a promise is refused; rejected later, it harms nothing.
  const refused = new Promise((resolve, reject) => setTimeout(() => reject(new Error('refused')), 10));
  assert.throws(() => context.evalClosureSync('return 1', [refused]), { name: 'TypeError', message: 'A non-transferable value was passed' });
  await assert.rejects(refused, { message: 'refused' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(context.evalSync('1 + 1'), 2);
  isolate.dispose();
});

test('applySyncPromise waits in the isolate for the promise of a Node function', async () => {
  const { isolate, context } = setup();
  context.global.setSync('readLater', new ivm.Reference((name) => new Promise((resolve) => setTimeout(() => resolve(`contents of ${name}`), 20))));
  context.global.setSync('readFailing', new ivm.Reference(() => Promise.reject(new Error('not found'))));
  assert.equal(await context.eval('readLater.applySyncPromise(undefined, ["a.txt"])'), 'contents of a.txt');
  assert.equal(await context.eval('try { readFailing.applySyncPromise() } catch (e) { e.message }'), 'not found');
  assert.equal(await context.eval('readLater.applySyncPromise(undefined, ["b"]).length'), 13);
  // From Node's own thread it would block the event loop it needs.
  assert.throws(() => context.evalSync('readLater.applySyncPromise()'), { name: 'Error', message: 'This function may not be called from the default thread' });
  assert.throws(() => context.global.applySyncPromise(undefined, [], { result: {} }), {
    name: 'TypeError',
    message: '`result` options are not available for `applySyncPromise`',
  });
  isolate.dispose();
});
