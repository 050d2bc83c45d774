'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const ivm = require('..');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  return { isolate, context, global: context.global };
}

test('typeof reports the type of the referenced value, null as "null" and symbols as "object"', () => {
  const { isolate, context } = setup();
  const expected = { 1: 'number', '"s"': 'string', true: 'boolean', null: 'null', undefined: 'undefined', '({})': 'object', '(() => 1)': 'function', 'Symbol()': 'object', '1n': 'object', '[]': 'object' };
  for (const [code, type] of Object.entries(expected)) {
    assert.equal(context.evalSync(code, { reference: true }).typeof, type, code);
  }
  assert.equal(new ivm.Reference(Symbol('host')).typeof, 'object');
  assert.equal(new ivm.Reference(() => 1).typeof, 'function');
  isolate.dispose();
});

test('deref returns the value in its own world; elsewhere it fails', () => {
  const { isolate, global } = setup();
  const object = { a: 1 };
  const reference = new ivm.Reference(object);
  assert.equal(reference.deref(), object);
  assert.equal(new ivm.Reference(5).deref(), 5);
  assert.throws(() => global.deref(), { name: 'TypeError', message: 'Cannot dereference this from current isolate' });
  assert.equal(reference.deref({ release: true }), object);
  assert.throws(() => reference.deref(), { name: 'Error', message: 'Reference has been released' });
  isolate.dispose();
});

test('derefInto becomes the value when given to its own isolate, once', () => {
  const { isolate, context, global } = setup();
  context.evalSync('globalThis.original = { marker: 1 }');
  const reference = global.getSync('original');
  global.setSync('same', reference.derefInto());
  assert.equal(context.evalSync('same === original'), true);
  const into = reference.derefInto({ release: true });
  assert.throws(() => reference.typeof, { name: 'Error', message: 'Reference has been released' });
  global.setSync('again', into);
  assert.throws(() => global.setSync('twice', into), { name: 'Error', message: 'The return value of `derefInto()` should only be used once' });
  const hostInto = new ivm.Reference({}).derefInto();
  assert.throws(() => global.setSync('foreign', hostInto), { name: 'TypeError', message: 'Cannot dereference this into target isolate' });
  isolate.dispose();
});

test('release() makes every operation fail', async () => {
  const reference = new ivm.Reference({});
  reference.release();
  assert.throws(() => reference.typeof, { message: 'Reference has been released' });
  assert.throws(() => reference.release(), { message: 'Reference has been released' });
  assert.throws(() => reference.getSync('a'), { message: 'Reference has been released' });
  await assert.rejects(reference.get('a'), { message: 'Reference has been released' });
  assert.throws(() => reference.derefInto(), { message: 'Reference has been released' });
});

test('get returns transferable values and References for objects', async () => {
  const { isolate, context, global } = setup();
  context.evalSync('globalThis.data = { n: 1, o: { deep: true }, f() { return 2 } }');
  const data = global.getSync('data');
  assert.ok(data instanceof ivm.Reference);
  assert.equal(data.getSync('n'), 1);
  assert.equal(data.getSync('missing'), undefined);
  assert.equal(data.getSync('o').getSync('deep'), true);
  assert.equal(typeof data.getSync('f'), 'function');
  assert.equal(await data.get('n'), 1);
  assert.deepEqual(data.getSync('o', { copy: true }), { deep: true });
  assert.deepEqual(data.getSync('o', { externalCopy: true }).copy(), { deep: true });
  assert.equal(data.getSync('o', { reference: true }).typeof, 'object');
  assert.throws(() => data.getSync({}), { name: 'TypeError', message: 'Invalid `key`' });
  assert.throws(() => data.getSync(1.5), { name: 'TypeError', message: 'Invalid `key`' });
  assert.throws(() => data.getSync(Symbol.iterator), { name: 'TypeError', message: 'Invalid `key`' });
  assert.throws(() => data.getSync(), { name: 'TypeError', message: '`getSync` requires at least 1 parameter' });
  assert.throws(() => global.getSync('data', { accessors: 1 }), { name: 'TypeError', message: '`accessors` must be a boolean' });
  const number = context.evalSync('5', { reference: true });
  assert.throws(() => number.getSync('x'), { name: 'TypeError', message: 'Reference is not an object' });
  const fn = context.evalSync('(() => 1)', { reference: true });
  assert.throws(() => fn.getSync('name'), { name: 'TypeError', message: 'Reference is not an object' });
  isolate.dispose();
});

test('get does not run getters or proxies unless accessors is set', () => {
  const { isolate, context, global } = setup();
  context.evalSync(`
    globalThis.calls = 0;
    globalThis.withGetter = { get value() { calls++; return 'got'; } };
    globalThis.proxied = new Proxy({ x: 0 }, { get() { calls++; return 'trap'; } });
    globalThis.behindProxy = Object.create(new Proxy({}, {}));
  `);
  assert.throws(() => global.getSync('withGetter').getSync('value'), { name: 'TypeError', message: 'Property is getter' });
  assert.throws(() => global.getSync('proxied').getSync('x'), { name: 'TypeError', message: 'Object is or has proxy' });
  assert.throws(() => global.getSync('behindProxy').getSync('x'), { name: 'TypeError', message: 'Object is or has proxy' });
  assert.equal(context.evalSync('calls'), 0);
  assert.equal(global.getSync('withGetter').getSync('value', { accessors: true }), 'got');
  assert.equal(global.getSync('proxied').getSync('x', { accessors: true }), 'trap');
  assert.equal(context.evalSync('calls'), 2);
  isolate.dispose();
});

test('unsafeInherit follows the prototype chain, and so do references it returns', () => {
  const { isolate, context } = setup();
  context.evalSync('globalThis.child = Object.create({ inherited: 1, nested: Object.create({ deeper: 2 }) })');
  const plain = context.evalSync('child', { reference: true });
  assert.equal(plain.getSync('inherited'), undefined);
  context.global.setSync('ivm', ivm);
  const inheriting = context.evalSync('new ivm.Reference(child, { unsafeInherit: true })');
  assert.equal(inheriting.getSync('inherited'), 1);
  assert.equal(inheriting.getSync('nested').getSync('deeper'), 2);
  const hostInheriting = new ivm.Reference(Object.create({ fromProto: 'yes' }), { unsafeInherit: true });
  context.global.setSync('hostRef', hostInheriting);
  assert.equal(context.evalSync('hostRef.getSync("fromProto")'), 'yes');
  assert.throws(() => new ivm.Reference({}, { unsafeInherit: 1 }), { name: 'TypeError', message: '`unsafeInherit` must be a boolean' });
  isolate.dispose();
});

test('set and delete change the referenced object', async () => {
  const { isolate, context, global } = setup();
  global.setSync('a', 1);
  await global.set('b', 'two');
  global.setIgnored('c', true);
  global.setSync(5, 'five');
  // Ignored calls are queued; a sync call does not wait for the queue, an async one does.
  assert.equal(await context.eval('[a, b, c, globalThis[5]].join()'), '1,two,true,five');
  global.deleteSync('a');
  await global.delete('b');
  global.deleteIgnored('c');
  assert.equal(await context.eval('typeof a + typeof b + typeof c'), 'undefinedundefinedundefined');
  assert.throws(() => global.setSync('x', {}), { name: 'TypeError', message: 'A non-transferable value was passed' });
  global.setSync('copied', { deep: [1] }, { copy: true });
  assert.equal(context.evalSync('copied.deep[0]'), 1);
  context.evalSync('globalThis.frozen = Object.freeze({}); globalThis.fixed = {}; Object.defineProperty(fixed, "k", { value: 1 })');
  assert.throws(() => global.getSync('frozen').setSync('a', 1), { name: 'TypeError', message: 'Set failed' });
  assert.throws(() => global.getSync('fixed').deleteSync('k'), { name: 'TypeError', message: 'Delete failed' });
  assert.throws(() => global.setSync('x'), { name: 'TypeError', message: '`setSync` requires at least 2 parameters' });
  isolate.dispose();
});

test('apply calls a function in every mode, with receiver, arguments and result options', async () => {
  const { isolate, context } = setup();
  const fn = context.evalSync('(function (a, b) { globalThis.last = [this && this.tag, a, b]; return a + b })', { reference: true });
  assert.equal(fn.applySync(undefined, [2, 3]), 5);
  assert.equal(await fn.apply(undefined, [4, 5]), 9);
  assert.equal(fn.applyIgnored(undefined, [1, 1]), undefined);
  assert.equal(await context.eval('last[1] + last[2]'), 2);
  const tagged = context.evalSync('({ tag: "t" })', { reference: true });
  fn.applySync(tagged.derefInto(), [1, 2]);
  assert.equal(context.evalSync('last[0]'), 't');
  const make = context.evalSync('(o) => ({ got: o.a })', { reference: true });
  assert.equal(make.applySync(undefined, [{ a: 7 }], { arguments: { copy: true } }).typeof, 'object');
  assert.deepEqual(make.applySync(undefined, [{ a: 7 }], { arguments: { copy: true }, result: { copy: true } }), { got: 7 });
  assert.deepEqual(make.applySync(undefined, [{ a: 8 }], { arguments: { externalCopy: true }, result: { externalCopy: true } }).copy(), { got: undefined });
  assert.throws(() => make.applySync(undefined, [{ a: 7 }]), { name: 'TypeError', message: 'A non-transferable value was passed' });
  assert.throws(() => fn.applySync({}), { name: 'TypeError', message: 'A non-transferable value was passed' });
  assert.throws(() => fn.applySync(undefined, 5), { name: 'TypeError', message: '`applySync` requires parameter 2 to be an array' });
  assert.throws(() => fn.applySync(undefined, [], { arguments: 5 }), { name: 'TypeError', message: '`arguments` must be an object' });
  assert.throws(() => tagged.applySync(), { name: 'TypeError', message: 'Reference is not a function' });
  const thrower = context.evalSync('(() => { throw new SyntaxError("inside") })', { reference: true });
  assert.throws(() => thrower.applySync(), { name: 'SyntaxError', message: 'inside' });
  await assert.rejects(thrower.apply(), { name: 'SyntaxError', message: 'inside' });
  isolate.dispose();
});

test('copy/copySync copy the referenced value', async () => {
  const { isolate, context } = setup();
  const reference = context.evalSync('({ list: [1, 2], when: new Date(5) })', { reference: true });
  const copied = reference.copySync();
  assert.deepEqual(copied.list, [1, 2]);
  assert.equal(copied.when.getTime(), 5);
  assert.deepEqual((await reference.copy()).list, [1, 2]);
  const hostObject = { host: true };
  assert.deepEqual(new ivm.Reference(hostObject).copySync(), { host: true });
  assert.notEqual(new ivm.Reference(hostObject).copySync(), hostObject);
  isolate.dispose();
});

test('references to Node values work from isolate code: get, set, delete, apply, copy', async () => {
  const { isolate, context } = setup();
  const host = { a: 1, get g() { return 'getter'; }, nested: { x: 5 }, add(x, y) { return x + y; } };
  context.global.setSync('host', new ivm.Reference(host));
  assert.equal(context.evalSync('host.getSync("a")'), 1);
  assert.throws(() => context.evalSync('host.getSync("g")'), { name: 'TypeError', message: 'Property is getter' });
  assert.equal(context.evalSync('host.getSync("g", { accessors: true })'), 'getter');
  assert.equal(context.evalSync('host.getSync("nested").getSync("x")'), 5);
  context.evalSync('host.setSync("b", 2); host.deleteSync("a")');
  assert.equal(host.b, 2);
  assert.equal('a' in host, false);
  assert.equal(context.evalSync('host.getSync("add")(2, 3)'), 5);
  assert.equal(context.evalSync('host.getSync("add", { reference: true }).applySync(undefined, [2, 3])'), 5);
  assert.equal(context.evalSync('host.getSync("nested").copySync().x'), 5);
  // Named by its source, as the runtime gives it (Bun's transpiler reformats sources).
  assert.throws(() => context.evalSync('host.copySync()'), { name: 'TypeError', message: `${Function.prototype.toString.call(host.add)} could not be cloned.` });
  assert.equal(await context.eval('host.get("b")', { promise: true }), 2);
  // What it holds reaches the guest as References to objects, isolated-vm objects as themselves.
  Object.assign(host, { list: [1, 2], inner: new ivm.Reference({ z: 1 }), copied: new ivm.ExternalCopy({ c: 3 }), bytes: new Uint8Array([1, 2, 3]) });
  assert.equal(context.evalSync('host.getSync("list").typeof + " " + JSON.stringify(host.getSync("list").copySync())'), 'object [1,2]');
  assert.equal(context.evalSync('host.getSync("inner").getSync("z")'), 1);
  assert.equal(context.evalSync('JSON.stringify(host.getSync("copied").copy())'), '{"c":3}');
  assert.equal(context.evalSync('String(host.getSync("bytes").copySync())'), '1,2,3');
  context.evalSync('host.getSync("list").setSync(2, 3)');
  assert.deepEqual(host.list, [1, 2, 3]);
  context.global.setSync('proxy', new ivm.Reference(new Proxy({}, {})));
  assert.throws(() => context.evalSync('proxy.getSync("x")'), { name: 'TypeError', message: 'Object is or has proxy' });
  isolate.dispose();
});

test('Node values isolate code reached through References come back to Node as themselves, symbols too', () => {
  const { isolate, context } = setup();
  const symbol = Symbol('host');
  const registered = Symbol.for('isolated-vm test');
  const host = { inner: {}, symbol, registered, make: () => symbol, same: (a, b) => a.deref() === b.deref() };
  context.global.setSync('host', new ivm.Reference(host));
  const codes = ['host.getSync("inner")', 'host.getSync("symbol")', 'host.getSync("registered")', 'host.getSync("make", { reference: true }).applySync(undefined, [], { result: { reference: true } })'];
  const [inner, bySymbol, byRegistered, made] = codes.map((code) => context.evalSync(code));
  assert.ok([inner, bySymbol, byRegistered, made].every((reference) => reference instanceof ivm.Reference));
  assert.equal(inner.deref(), host.inner);
  assert.equal(bySymbol.deref(), symbol);
  assert.equal(byRegistered.deref(), registered);
  assert.equal(made.deref(), symbol);
  // Given to Node by isolate code, as arguments, the same symbol reached twice is one symbol.
  assert.equal(context.evalSync('host.getSync("same", { reference: true }).applySync(undefined, [host.getSync("symbol"), host.getSync("make", { reference: true }).applySync(undefined, [], { result: { reference: true } })])'), true);
  assert.equal(context.evalSync('host.getSync("same", { reference: true }).applySync(undefined, [host.getSync("symbol"), host.getSync("registered")])'), false);
  isolate.dispose();
});

test('a Reference constructed in Node operates on the Node value from Node too', async () => {
  const object = { a: 1 };
  const reference = new ivm.Reference(object);
  assert.equal(reference.getSync('a'), 1);
  reference.setSync('b', 2);
  assert.equal(object.b, 2);
  assert.equal(await reference.get('b'), 2);
  const fn = new ivm.Reference((x) => x * 2);
  assert.equal(fn.applySync(undefined, [21]), 42);
  assert.equal(await fn.apply(undefined, [4]), 8);
  const thrower = new ivm.Reference(() => {
    throw new RangeError('node side');
  });
  assert.throws(() => thrower.applySync(), { name: 'RangeError', message: 'node side' });
});
