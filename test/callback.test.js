'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  return { isolate, context };
}

test('functions passed to set become plain functions with the same name and length', () => {
  const { isolate, context } = setup();
  context.global.setSync('named', function named(a, b) { return a + b; });
  assert.equal(context.evalSync('named.name + ":" + named.length + ":" + named(1, 2)'), 'named:2:3');
  assert.equal(context.evalSync('typeof named.prototype'), 'undefined');
  assert.throws(() => context.evalSync('new named()'), { name: 'TypeError', message: 'named is not a constructor' });
  isolate.dispose();
});

test('functions isolate code gives Node become Node functions with the same name and length', () => {
  const { isolate, context } = setup();
  const add = context.evalSync('(function add(a, b) { return a + b })');
  assert.equal(typeof add, 'function');
  assert.equal(add.name, 'add');
  assert.deepEqual(Object.getOwnPropertyDescriptor(add, 'length'), { value: 2, writable: false, enumerable: false, configurable: true });
  assert.equal(add(2, 3), 5);
  assert.equal(context.evalSync('(async (x, y, z) => x)').length, 3);
  isolate.dispose();
});

test('callback arguments and results are copied', () => {
  const { isolate, context } = setup();
  let received;
  context.global.setSync('echo', (value) => {
    received = value;
    value.changed = true;
    return { back: value.list.length, when: new Date(0) };
  });
  const result = context.evalSync('const arg = { list: [1, 2, 3] }; const r = echo(arg); JSON.stringify([r.back, r.when.getTime(), arg.changed === undefined])');
  assert.equal(result, '[3,0,true]');
  assert.deepEqual(received.list, [1, 2, 3]);
  assert.throws(() => context.evalSync('echo({ f() {} })'), { name: 'TypeError', message: 'f() {} could not be cloned.' });
  isolate.dispose();
});

test('callback arguments are copied together: what they share stays shared, and a symbol is named as V8 names it', () => {
  const { isolate, context } = setup();
  context.global.setSync('ivm', ivm);
  let received;
  const keep = (...args) => {
    received = args;
  };
  context.global.setSync('keep', keep);
  context.global.setSync('callback', new ivm.Callback(keep));
  for (const name of ['keep', 'callback']) {
    context.evalSync(`{ const o = { x: 1 }; const buffer = new ArrayBuffer(4); ${name}(o, o, { o }, buffer, new Uint8Array(buffer, 2), 7) }`);
    assert.equal(received.length, 6);
    assert.ok(received[0] === received[1] && received[2].o === received[0], name);
    assert.equal(received[4].buffer, received[3], name);
    assert.equal(received[4].byteOffset, 2);
    assert.equal(received[5], 7);
    assert.throws(() => context.evalSync(`${name}(1, Symbol("s"))`), { name: 'TypeError', message: 'Symbol(s) could not be cloned.' });
  }
  // The other way, a Callback of the guest called from Node.
  const same = context.evalSync('new ivm.Callback((a, b) => a === b && a.x === 1)');
  const o = { x: 1 };
  assert.equal(same(o, o), true);
  assert.equal(same({ x: 1 }, { x: 1 }), false);
  assert.throws(() => same(Symbol('n')), { name: 'TypeError', message: 'Symbol(n) could not be cloned.' });
  isolate.dispose();
});

test('new Callback() in async mode returns a promise inside the isolate', async () => {
  const { isolate, context } = setup();
  context.global.setSync('later', new ivm.Callback((x) => x * 2, { async: true }));
  assert.equal(await context.eval('later(21)', { promise: true }), 42);
  context.global.setSync('failing', new ivm.Callback(() => { throw new TypeError('async fail'); }, { async: true }));
  assert.equal(await context.eval('failing().catch((e) => e.constructor.name + ":" + e.message)', { promise: true }), 'TypeError:async fail');
  isolate.dispose();
});

test('new Callback() in ignored mode returns undefined and swallows errors', async () => {
  const { isolate, context } = setup();
  const calls = [];
  context.global.setSync('fire', new ivm.Callback((x) => {
    calls.push(x);
    throw new Error('ignored');
  }, { ignored: true }));
  assert.equal(context.evalSync('fire(1)'), undefined);
  await context.eval('fire(2)');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(calls, [1, 2]);
  isolate.dispose();
});

test('Callback validates its arguments', () => {
  assert.throws(() => new ivm.Callback(), { name: 'TypeError', message: '`Callback` requires at least 1 parameter' });
  assert.throws(() => new ivm.Callback(1), { name: 'TypeError', message: '`Callback` requires parameter 1 to be a function' });
  assert.throws(() => new ivm.Callback(() => 1, { async: 1 }), { name: 'TypeError', message: '`async` must be a boolean' });
  assert.throws(() => ivm.Callback(() => 1), { name: 'TypeError', message: '`Callback` must be called with `new`' });
});

test('a function of one isolate is callable from another through a Callback', () => {
  const { isolate, context } = setup();
  const other = new ivm.Isolate();
  const otherContext = other.createContextSync();
  const triple = otherContext.evalSync('(x) => x * 3');
  context.global.setSync('triple', triple);
  assert.equal(context.evalSync('triple(14)'), 42);
  isolate.dispose();
  other.dispose();
});

test('host callbacks are called 100 times from async code in order', async () => {
  const { isolate, context } = setup();
  const seen = [];
  context.global.setSync('record', (i) => seen.push(i));
  await context.eval('for (let i = 0; i < 100; i++) record(i)');
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
  isolate.dispose();
});
