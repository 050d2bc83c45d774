'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');
const runtime = require('./support/runtime');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  return { isolate, context };
}

// Values of every structured-clone type, built in whichever world `make` runs in.
const SAMPLES = `({
  primitives: [0, -0, 1.5, NaN, Infinity, -Infinity, 2n ** 100n, -(2n ** 65n), true, false, null, undefined],
  strings: ['', 'ascii', 'latin1 \\u00e9\\u00ff', 'two-byte \\u4e2d\\u6587 \\ud83d\\ude00', 'lone \\ud800 surrogate \\udc00', 'x'.repeat(100000)],
  date: new Date(1700000000123),
  regexp: /a+b*/giu,
  map: new Map([[1, 'one'], ['two', { deep: [2] }]]),
  set: new Set([1, 'x', 3n]),
  sparse: (() => { const a = [1, , 3]; a.length = 6; a.extra = 'prop'; return a; })(),
  plain: { a: { b: { c: [1, 2, { d: 'e' }] } } },
  error: new RangeError('bad range'),
  typeError: new TypeError('bad type'),
  wrappers: [new Boolean(false), new Number(7), new String('s'), Object(5n)],
  buffer: new Uint8Array([1, 2, 3, 4]).buffer,
  views: [
    new Uint8Array([255, 0]), new Uint8ClampedArray([9]), new Int8Array([-1]), new Uint16Array([65535]),
    new Int16Array([-2]), new Uint32Array([4e9]), new Int32Array([-5]), new Float32Array([1.5]), new Float64Array([Math.PI]),
    new BigInt64Array([-(2n ** 63n)]), new BigUint64Array([2n ** 64n - 1n]),
    new DataView(new Uint8Array([1, 2, 3, 4, 5, 6]).buffer, 2, 3),
    new Uint16Array(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer, 2, 2),
  ],
})`;

function make() {
  // eslint-disable-next-line no-eval
  return (0, eval)(SAMPLES);
}

function withCycles() {
  const object = { name: 'root' };
  object.self = object;
  object.list = [object, { back: object }];
  const map = new Map();
  map.set('map', map);
  object.map = map;
  return object;
}

function checkCycles(value) {
  assert.equal(value.self, value);
  assert.equal(value.list[0], value);
  assert.equal(value.list[1].back, value);
  assert.equal(value.map.get('map'), value.map);
}

function checkSamples(copied) {
  const expected = make();
  assert.deepStrictEqual(copied.primitives, expected.primitives);
  assert.ok(Object.is(copied.primitives[1], -0));
  assert.deepStrictEqual(copied.strings, expected.strings);
  assert.equal(copied.date.getTime(), expected.date.getTime());
  assert.ok(copied.date instanceof Date);
  assert.equal(String(copied.regexp), String(expected.regexp));
  assert.deepStrictEqual([...copied.map], [...expected.map]);
  assert.deepStrictEqual([...copied.set], [...expected.set]);
  assert.equal(copied.sparse.length, 6);
  assert.equal(1 in copied.sparse, false);
  assert.equal(copied.sparse[2], 3);
  assert.equal(copied.sparse.extra, 'prop');
  assert.deepStrictEqual(copied.plain, expected.plain);
  assert.ok(copied.error instanceof RangeError);
  assert.equal(copied.error.message, 'bad range');
  assert.ok(copied.typeError instanceof TypeError);
  assert.equal(typeof copied.wrappers[0], 'object');
  assert.equal(copied.wrappers[0].valueOf(), false);
  assert.equal(copied.wrappers[1].valueOf(), 7);
  assert.equal(copied.wrappers[2].valueOf(), 's');
  assert.equal(copied.wrappers[3].valueOf(), 5n);
  assert.deepStrictEqual(new Uint8Array(copied.buffer), new Uint8Array([1, 2, 3, 4]));
  for (let i = 0; i < expected.views.length; i++) {
    const [got, want] = [copied.views[i], expected.views[i]];
    assert.equal(Object.prototype.toString.call(got), Object.prototype.toString.call(want));
    assert.equal(got.byteOffset, want.byteOffset);
    assert.equal(got.byteLength, want.byteLength);
    assert.deepStrictEqual(new Uint8Array(got.buffer), new Uint8Array(want.buffer));
  }
}

test('every structured-clone type round-trips from Node through an isolate and back', () => {
  const { isolate, context } = setup();
  context.global.setSync('value', new ivm.ExternalCopy(make()).copyInto());
  // Checked inside the isolate too.
  assert.equal(context.evalSync('value.strings[4] === "lone \\ud800 surrogate \\udc00" && value.map.get("two").deep[0] === 2 && value.views[12].length'), 2);
  checkSamples(context.evalSync('value', { copy: true }));
  checkSamples(new ivm.ExternalCopy(make()).copy());
  isolate.dispose();
});

test('every structured-clone type round-trips from an isolate to Node and to another isolate', () => {
  const { isolate, context } = setup();
  const copy = context.evalSync(SAMPLES, { externalCopy: true });
  assert.ok(copy instanceof ivm.ExternalCopy);
  checkSamples(copy.copy());
  const other = new ivm.Isolate();
  const otherContext = other.createContextSync();
  otherContext.global.setSync('value', copy.copyInto());
  checkSamples(otherContext.evalSync('value', { copy: true }));
  isolate.dispose();
  other.dispose();
});

test('circular structures keep their shape in every direction', () => {
  const { isolate, context } = setup();
  checkCycles(new ivm.ExternalCopy(withCycles()).copy());
  context.global.setSync('value', new ivm.ExternalCopy(withCycles()).copyInto());
  assert.equal(context.evalSync('value.self === value && value.list[1].back === value && value.map.get("map") === value.map'), true);
  checkCycles(context.evalSync('value', { copy: true }));
  isolate.dispose();
});

test('values that cannot be cloned fail with a TypeError', () => {
  const { isolate, context } = setup();
  assert.throws(() => new ivm.ExternalCopy(() => 1), { name: 'TypeError', message: '() => 1 could not be cloned.' });
  assert.throws(() => new ivm.ExternalCopy({ f() {} }), { name: 'TypeError', message: 'f() {} could not be cloned.' });
  assert.throws(() => new ivm.ExternalCopy(Symbol('s')), { name: 'TypeError', message: 'Unsupported type' });
  assert.throws(() => new ivm.ExternalCopy({ s: Symbol('s') }), { name: 'TypeError', message: 'Symbol(s) could not be cloned.' });
  assert.throws(() => new ivm.ExternalCopy(new WeakMap()), { name: 'TypeError', message: '#<WeakMap> could not be cloned.' });
  assert.throws(() => context.evalSync('({ f() {} })', { copy: true }), { name: 'TypeError', message: 'f() {} could not be cloned.' });
  assert.throws(() => context.evalSync('Symbol()', { externalCopy: true }), { name: 'TypeError', message: 'Unsupported type' });
  assert.throws(() => new ivm.ExternalCopy(), { name: 'TypeError', message: '`ExternalCopy` requires at least 1 parameter' });
  assert.throws(() => new ivm.ExternalCopy(1, 2), { name: 'TypeError', message: '`ExternalCopy` requires parameter 2 to be an object' });
  assert.throws(() => new ivm.ExternalCopy({}, { transferList: [1] }), { name: 'TypeError', message: 'Non-ArrayBuffer passed in `transferList`' });
  isolate.dispose();
});

test('primitives are copied exactly as they are', () => {
  for (const value of [1, -0, 'text', true, null, undefined, 12345678901234567890n]) {
    assert.ok(Object.is(new ivm.ExternalCopy(value).copy(), value));
  }
});

test('transferOut moves an ArrayBuffer (the source is detached) and copy() copies it', () => {
  const buffer = new Uint8Array([7, 8, 9]).buffer;
  const copy = new ivm.ExternalCopy(buffer, { transferOut: true });
  assert.equal(buffer.byteLength, 0);
  const first = copy.copy();
  const second = copy.copy();
  assert.deepStrictEqual(new Uint8Array(first), new Uint8Array([7, 8, 9]));
  assert.notEqual(first, second);
  new Uint8Array(first)[0] = 1;
  assert.equal(new Uint8Array(second)[0], 7);
});

test('transferIn moves the buffer into the receiver and invalidates the copy', () => {
  const { isolate, context } = setup();
  const copy = new ivm.ExternalCopy(new Uint8Array([5, 6]).buffer);
  context.global.setSync('moved', copy.copyInto({ transferIn: true }));
  assert.equal(context.evalSync('new Uint8Array(moved)[1]'), 6);
  assert.throws(() => copy.copy(), { name: 'Error', message: 'Array buffer is invalid' });
  assert.throws(() => context.global.setSync('again', copy.copyInto({ transferIn: true })), { name: 'Error', message: 'Array buffer is invalid' });
  // A value's transferred buffers move too; a value with none stays valid.
  const buffer = new Uint8Array([7]).buffer;
  const withList = new ivm.ExternalCopy({ buffer }, { transferList: [buffer] });
  context.global.setSync('value', withList.copyInto({ transferIn: true }));
  assert.equal(context.evalSync('new Uint8Array(value.buffer)[0]'), 7);
  assert.throws(() => withList.copy(), { name: 'Error', message: 'Array buffer is invalid' });
  const plain = new ivm.ExternalCopy({ a: 1 });
  context.global.setSync('plain', plain.copyInto({ transferIn: true }));
  assert.deepEqual(plain.copy(), { a: 1 });
  isolate.dispose();
});

test('transferList moves the listed buffers of a value; views over them survive', () => {
  const { isolate, context } = setup();
  const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
  const copy = new ivm.ExternalCopy({ buffer, view: new Uint8Array(buffer, 1, 2) }, { transferList: [buffer] });
  assert.equal(buffer.byteLength, 0);
  const result = copy.copy();
  assert.deepStrictEqual([...result.view], [2, 3]);
  assert.equal(result.view.buffer, result.buffer);
  context.global.setSync('value', copy.copyInto());
  assert.equal(context.evalSync('value.view.buffer === value.buffer && value.view[1]'), 3);
  isolate.dispose();
});

test('isolate code can transfer its own ArrayBuffers', () => {
  const { isolate, context } = setup();
  context.global.setSync('ivm', ivm);
  assert.equal(context.evalSync(`
    const b = new Uint8Array([9, 8]).buffer;
    const c = new ivm.ExternalCopy({ b }, { transferList: [b] });
    b.byteLength + ':' + new Uint8Array(c.copy().b)[0];
  `), '0:9');
  const fromIsolate = context.evalSync('new ivm.ExternalCopy(new Uint8Array([4, 2]).buffer, { transferOut: true })');
  assert.deepStrictEqual(new Uint8Array(fromIsolate.copy()), new Uint8Array([4, 2]));
  isolate.dispose();
});

test('a SharedArrayBuffer is shared, not copied, between Node and isolates', runtime.inProcessOnly('a SharedArrayBuffer cannot be shared with another process'), () => {
  const { isolate, context } = setup();
  const shared = new SharedArrayBuffer(16);
  const ints = new Int32Array(shared);
  context.global.setSync('shared', new ivm.ExternalCopy(shared).copyInto());
  context.evalSync('globalThis.view = new Int32Array(shared); view[0] = 42');
  assert.equal(ints[0], 42);
  ints[1] = 7;
  assert.equal(context.evalSync('view[1]'), 7);
  // Nested in an object, and through a second isolate.
  const other = new ivm.Isolate();
  const otherContext = other.createContextSync();
  otherContext.global.setSync('wrapped', new ivm.ExternalCopy({ shared }).copyInto());
  otherContext.evalSync('new Int32Array(wrapped.shared)[2] = 99');
  assert.equal(ints[2], 99);
  assert.equal(context.evalSync('view[2]'), 99);
  // Back to Node it is the same object.
  assert.equal(context.evalSync('shared', { externalCopy: true }).copy(), shared);
  // Views over shared memory keep their offset.
  const view = new ivm.ExternalCopy(new Int32Array(shared, 4, 2)).copy();
  assert.equal(view.buffer, shared);
  assert.equal(view.byteOffset, 4);
  isolate.dispose();
  other.dispose();
});

test('isolated-vm objects nested in a copy arrive as working objects', () => {
  const { isolate, context } = setup();
  const data = new ivm.ExternalCopy({ isolate, context, global: context.global });
  const copied = data.copy();
  assert.ok(copied.isolate instanceof ivm.Isolate);
  assert.equal(copied.context.evalSync('6 * 7'), 42);
  assert.ok(copied.global instanceof ivm.Reference);
  context.global.setSync('ivm', ivm);
  context.global.setSync('data', data.copyInto());
  assert.equal(context.evalSync('data.context instanceof ivm.Context && data.global.typeof'), 'object');
  isolate.dispose();
});

test('totalExternalSize counts live copies; release() drops this handle', () => {
  const before = ivm.ExternalCopy.totalExternalSize;
  const copy = new ivm.ExternalCopy(new ArrayBuffer(1024 * 1024));
  assert.ok(ivm.ExternalCopy.totalExternalSize >= before + 1024 * 1024);
  copy.release();
  assert.throws(() => copy.copy(), { name: 'Error', message: 'Copy has been released' });
  assert.throws(() => copy.copyInto(), { name: 'Error', message: 'Copy has been released' });
  assert.throws(() => copy.release(), { name: 'Error', message: 'Copy has been released' });
  const other = new ivm.ExternalCopy('abc');
  assert.equal(other.copy({ release: true }), 'abc');
  assert.throws(() => other.copy(), { name: 'Error', message: 'Copy has been released' });
});

test('the result of copyInto() can only be used once', () => {
  const { isolate, context } = setup();
  const into = new ivm.ExternalCopy({ a: 1 }).copyInto();
  context.global.setSync('first', into);
  assert.throws(() => context.global.setSync('second', into), { name: 'Error', message: 'The return value of `copyInto()` should only be used once' });
  isolate.dispose();
});

test('copies are independent of their source', () => {
  const { isolate, context } = setup();
  const source = { list: [1] };
  const copy = new ivm.ExternalCopy(source);
  source.list.push(2);
  assert.deepStrictEqual(copy.copy(), { list: [1] });
  context.global.setSync('x', copy.copyInto());
  context.evalSync('x.list.push(3)');
  assert.deepStrictEqual(copy.copy(), { list: [1] });
  isolate.dispose();
});

test('a buffer moved out of an isolate and back moves its memory, not a copy', () => {
  const { isolate, context } = setup();
  context.global.setSync('ivm', ivm);
  const out = context.evalSync('globalThis.original = new Uint8Array([1, 2, 3]).buffer; new ivm.ExternalCopy(original, { transferOut: true })');
  assert.equal(context.evalSync('original.byteLength'), 0);
  const inNode = out.copy({ transferIn: true });
  assert.deepStrictEqual(new Uint8Array(inNode), new Uint8Array([1, 2, 3]));
  new Uint8Array(inNode)[0] = 9;
  context.global.setSync('back', new ivm.ExternalCopy(inNode, { transferOut: true }).copyInto({ transferIn: true }));
  assert.equal(inNode.byteLength, 0);
  assert.equal(context.evalSync('new Uint8Array(back).join()'), '9,2,3');
  isolate.dispose();
});

test('errors keep their type, message, stack and cause (even one that is the error itself)', () => {
  const { isolate, context } = setup();
  const cause = new Error('root');
  const outer = new TypeError('outer', { cause });
  const copied = new ivm.ExternalCopy(outer).copy();
  assert.ok(copied instanceof TypeError);
  assert.equal(copied.message, 'outer');
  assert.equal(copied.stack, outer.stack);
  assert.ok(copied.cause instanceof Error);
  assert.equal(copied.cause.message, 'root');
  assert.equal(Object.getOwnPropertyDescriptor(copied, 'cause').enumerable, false);
  // Errors of other names arrive as Error; own properties other than these are not copied.
  class CustomError extends Error {}
  const custom = Object.assign(new CustomError('custom'), { code: 7 });
  const customCopy = new ivm.ExternalCopy(custom).copy();
  assert.equal(Object.getPrototypeOf(customCopy), Error.prototype);
  assert.deepEqual([customCopy.message, customCopy.code], ['custom', undefined]);
  // No message stays no message.
  assert.equal(Object.hasOwn(new ivm.ExternalCopy(new RangeError()).copy(), 'message'), false);
  const fromIsolate = context.evalSync('const e = new SyntaxError("s"); e.cause = e; e', { copy: true });
  assert.ok(fromIsolate instanceof SyntaxError);
  assert.equal(fromIsolate.cause, fromIsolate);
  assert.match(fromIsolate.stack, /^SyntaxError: s\n/);
  context.global.setSync('copied', new ivm.ExternalCopy(outer).copyInto());
  assert.equal(context.evalSync('copied instanceof TypeError && copied.cause.message + ":" + copied.stack.split("\\n")[0]'), 'root:TypeError: outer');
  isolate.dispose();
});

test('values that cannot be cloned anywhere in a value fail with V8\'s messages', () => {
  const { isolate, context } = setup();
  // Functions are named by their source, cut in the middle when long.
  const longFunction = function named() { return 'a long body that goes on and on'.repeat(2) + 'and on, past the 128 characters that V8 prints in full'; };
  const cases = [
    [{ proxy: new Proxy({}, {}) }, '#<Object> could not be cloned.'],
    [[new Proxy([], {})], '[object Array] could not be cloned.'],
    [new Map([[1, () => 1]]), '() => 1 could not be cloned.'],
    [new Set([Symbol.iterator]), 'Symbol(Symbol.iterator) could not be cloned.'],
    [{ weak: new WeakRef({}) }, '#<WeakRef> could not be cloned.'],
    [{ promise: Promise.resolve() }, '#<Promise> could not be cloned.'],
    [{ args: (function () { return arguments; })(1) }, '#<Object> could not be cloned.'],
    [{ generator: (function* () {})() }, '[object Generator] could not be cloned.'],
    [{ long: longFunction }, `${String(longFunction).slice(0, 111)}...<omitted>...${String(longFunction).slice(-2)} could not be cloned.`],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => new ivm.ExternalCopy(value), { name: 'TypeError', message });
    assert.throws(() => context.global.setSync('x', value, { copy: true }), { name: 'TypeError', message });
  }
  const detached = new ArrayBuffer(8);
  structuredClone(detached, { transfer: [detached] });
  assert.throws(() => new ivm.ExternalCopy({ detached }), { name: 'TypeError', message: 'An ArrayBuffer is detached and could not be cloned.' });
  isolate.dispose();
});

test('shared references, null prototypes, class instances and a "__proto__" key are copied as V8 copies them', () => {
  const { isolate, context } = setup();
  const shared = { n: 1 };
  const bare = Object.assign(Object.create(null), { k: 'v' });
  class Point {
    constructor() {
      this.x = 1;
    }

    get doubled() {
      return this.x * 2;
    }
  }
  const proto = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}');
  const value = { a: shared, b: shared, bare, point: new Point(), proto, list: [shared] };
  const check = (copied, where) => {
    assert.equal(copied.a, copied.b, where);
    assert.equal(copied.list[0], copied.a, where);
    assert.equal(Object.getPrototypeOf(copied.bare), Object.prototype, where);
    assert.deepEqual(copied.point, { x: 1 }, where);
    assert.equal(Object.getPrototypeOf(copied.proto), Object.prototype, where);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copied.proto, '__proto__').value, { polluted: true }, where);
    assert.equal(copied.proto.polluted, undefined, where);
  };
  check(new ivm.ExternalCopy(value).copy(), 'host to host');
  context.global.setSync('value', new ivm.ExternalCopy(value).copyInto());
  check(context.evalSync('value', { copy: true }), 'host to isolate to host');
  assert.equal(context.evalSync('value.a === value.b && Object.getPrototypeOf(value.proto) === Object.prototype && value.proto.polluted'), undefined);
  // Without shared objects, a copy is rebuilt by JSON.parse, with the same result.
  const json = context.evalSync('JSON.parse(\'{"__proto__": {"x": 1}, "n": [-0, 1.5, 1e300, "\\\\u00e9\\\\u4e2d\\\\ud800"]}\')', { copy: true });
  assert.equal(Object.getPrototypeOf(json), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(json, '__proto__').value, { x: 1 });
  assert.ok(Object.is(json.n[0], -0));
  assert.deepEqual(json.n.slice(1), [1.5, 1e300, '\u00e9\u4e2d\ud800']);
  isolate.dispose();
});

test('repeats of many earlier objects, of views and of their buffers, keep their identity; a "callee" key or a @@toStringTag does not make an object special', () => {
  const { isolate, context } = setup();
  const records = Array.from({ length: 300 }, (_, i) => ({ i, tags: [i] }));
  const buffer = new ArrayBuffer(8);
  const view = new Uint8Array(buffer, 2, 4);
  const tagged = Object.assign(Object.create(null), { [Symbol.toStringTag]: 'Module', k: 1 });
  const value = { records, again: records.slice().reverse(), tags: records.map((record) => record.tags), view, buffer, views: [view, view], callee: { callee: 1 }, tagged };
  const check = (copied, where) => {
    assert.equal(copied.records.length, 300, where);
    for (let i = 0; i < 300; i++) {
      assert.equal(copied.again[299 - i], copied.records[i], where);
      assert.equal(copied.tags[i], copied.records[i].tags, where);
      assert.deepEqual(copied.records[i], { i, tags: [i] }, where);
    }
    assert.equal(copied.view.buffer, copied.buffer, where);
    assert.equal(copied.views[0], copied.view, where);
    assert.equal(copied.views[1], copied.view, where);
    assert.deepEqual([copied.view.byteOffset, copied.view.length], [2, 4], where);
    assert.deepEqual(copied.callee, { callee: 1 }, where);
    assert.deepEqual({ ...copied.tagged }, { k: 1 }, where);
  };
  check(new ivm.ExternalCopy(value).copy(), 'host to host');
  context.global.setSync('value', new ivm.ExternalCopy(value).copyInto());
  check(context.evalSync('value', { copy: true }), 'host to isolate to host');
  isolate.dispose();
});

test('data beside isolated-vm objects in one value is copied as V8 copies it', () => {
  const { isolate, context } = setup();
  const shared = { n: 1 };
  const args = [new ivm.Reference({}), new Map([['a', shared], ['b', shared]]), { buffer: new ArrayBuffer(1, { maxByteLength: 8 }) }, [1, , 3], new Date(5)];
  const code = 'return [$0.typeof, $1.get("a") === $1.get("b"), $2.buffer.maxByteLength, 1 in $3, $3.length, $4.getTime()]';
  assert.deepEqual(context.evalClosureSync(code, args, { arguments: { copy: true }, result: { copy: true } }), ['object', true, 8, false, 3, 5]);
  isolate.dispose();
});

test('a SharedArrayBuffer nested in a copied value reaches Node as the same memory', runtime.inProcessOnly('a SharedArrayBuffer cannot be shared with another process'), () => {
  const { isolate, context } = setup();
  const shared = new SharedArrayBuffer(8);
  const copied = new ivm.ExternalCopy({ shared, view: new Int32Array(shared, 4, 1) }).copy();
  assert.equal(copied.shared, shared);
  assert.equal(copied.view.buffer, shared);
  assert.equal(copied.view.byteOffset, 4);
  context.global.setSync('value', new ivm.ExternalCopy({ shared }).copyInto());
  const back = context.evalSync('({ again: value.shared, view: new Uint8Array(value.shared, 2) })', { copy: true });
  assert.equal(back.again, shared);
  assert.equal(back.view.buffer, shared);
  isolate.dispose();
});

test('resizable ArrayBuffers and views over them keep their maximum length', () => {
  const { isolate, context } = setup();
  const buffer = new ArrayBuffer(4, { maxByteLength: 16 });
  new Uint8Array(buffer).set([1, 2, 3, 4]);
  const copied = new ivm.ExternalCopy({ buffer, view: new Uint8Array(buffer, 1, 2) }).copy();
  assert.equal(copied.buffer.resizable, true);
  assert.equal(copied.buffer.maxByteLength, 16);
  assert.deepEqual([...copied.view], [2, 3]);
  assert.equal(copied.view.buffer, copied.buffer);
  context.global.setSync('value', new ivm.ExternalCopy({ buffer }).copyInto());
  assert.equal(context.evalSync('value.buffer.resize(8), value.buffer.maxByteLength + ":" + new Uint8Array(value.buffer).join()'), '16:1,2,3,4,0,0,0,0');
  // A view that follows its buffer's length still does in the copy; one of a fixed length stays so.
  const views = { tracking: new Uint8Array(buffer), fixed: new Uint8Array(buffer, 0, 4), data: new DataView(buffer, 1) };
  context.global.setSync('views', new ivm.ExternalCopy(views).copyInto());
  assert.equal(context.evalSync('views.fixed.buffer.resize(12), [views.tracking.length, views.fixed.length, views.data.byteLength].join()'), '12,4,11');
  const fromIsolate = context.evalSync('const b = new ArrayBuffer(2, { maxByteLength: 4 }); ({ b, tracking: new Uint8Array(b) })', { copy: true });
  assert.equal(fromIsolate.b.maxByteLength, 4);
  fromIsolate.b.resize(4);
  assert.equal(fromIsolate.tracking.length, 4);
  isolate.dispose();
});

test('Float16Array copies where the runtime has it, and fails clearly where it does not', () => {
  const { isolate, context } = setup();
  if (typeof Float16Array === 'function') {
    const copied = new ivm.ExternalCopy({ halves: new Float16Array([1.5, -2]) }).copy();
    assert.equal(Object.prototype.toString.call(copied.halves), '[object Float16Array]');
    assert.deepEqual([...copied.halves], [1.5, -2]);
    assert.deepEqual([...context.evalSync('new Float16Array([0.5])', { copy: true })], [0.5]);
  } else {
    // Node 20 and 22.
    assert.throws(() => context.evalSync('new Float16Array([0.5])', { copy: true }), { name: 'TypeError', message: 'Float16Array is not supported by this runtime' });
    assert.throws(() => context.evalSync('({ nested: new Float16Array([0.5]) })', { copy: true }), { name: 'TypeError', message: 'Float16Array is not supported by this runtime' });
  }
  isolate.dispose();
});

test('a SharedArrayBuffer created inside an isolate reaches the host where the runtime can wrap outside memory', runtime.inProcessOnly('a SharedArrayBuffer cannot be shared with another process'), () => {
  const { isolate, context } = setup();
  // Node-API gained node_api_create_external_sharedarraybuffer in Node 24; Bun has it, Deno not.
  const canShare = (runtime.name === 'node' && runtime.nodeMajor >= 24) || runtime.name === 'bun';
  context.evalSync('globalThis.made = new SharedArrayBuffer(8); new Int32Array(made)[0] = 5');
  if (canShare) {
    const copied = context.evalSync('({ made, view: new Int32Array(made) })', { copy: true });
    assert.equal(copied.view.buffer, copied.made);
    assert.equal(copied.view[0], 5);
    copied.view[1] = 6;
    assert.equal(context.evalSync('new Int32Array(made)[1]'), 6);
  } else {
    const message = 'This runtime cannot share a SharedArrayBuffer created inside an isolate (Node.js 24 or later can)';
    assert.throws(() => context.evalSync('made', { externalCopy: true }).copy(), { name: 'TypeError', message });
    assert.throws(() => context.evalSync('({ made })', { copy: true }), { name: 'TypeError', message });
  }
  isolate.dispose();
});

test('deeply nested values are copied without native recursion', () => {
  const { isolate, context } = setup();
  let deep = [];
  for (let i = 0; i < 2000; i++) {
    deep = [deep];
  }
  context.global.setSync('deep', new ivm.ExternalCopy(deep).copyInto());
  assert.equal(context.evalSync('let n = 0; for (let d = deep; d.length; d = d[0]) n++; n'), 2000);
  let back = context.evalSync('deep', { copy: true });
  let depth = 0;
  for (; back.length; back = back[0]) {
    depth++;
  }
  assert.equal(depth, 2000);
  isolate.dispose();
});
