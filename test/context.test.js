'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  return { isolate, context };
}

test('evalSync returns the last value when transferable, else undefined', () => {
  const { isolate, context } = setup();
  assert.equal(context.evalSync('1 + 1'), 2);
  assert.equal(context.evalSync('"a" + "b"'), 'ab');
  assert.equal(context.evalSync('true'), true);
  assert.equal(context.evalSync('null'), null);
  assert.equal(context.evalSync('undefined'), undefined);
  assert.equal(context.evalSync('2n ** 70n'), 2n ** 70n);
  assert.equal(context.evalSync('-(2n ** 70n)'), -(2n ** 70n));
  assert.ok(Object.is(context.evalSync('-0'), -0));
  assert.ok(Number.isNaN(context.evalSync('NaN')));
  assert.equal(context.evalSync('"\\u00e9\\ud83d\\ude00\\ud800"'), '\u00e9\ud83d\ude00\ud800');
  assert.equal(context.evalSync('({ a: 1 })'), undefined);
  assert.equal(context.evalSync('Symbol("s")'), undefined);
  assert.equal(context.evalSync('let foo = 1; let bar = 2; bar = foo + bar'), 3);
  isolate.dispose();
});

test('strings from Node reach the isolate exactly, in code and in values, whatever their characters', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  // ASCII is read in one pass; anything else (even where its UTF-8 form would fill the one-pass
  // buffer exactly, as in 'é€') is read again as UTF-16, lone surrogates included.
  const strings = ['plain ascii', 'latin1 é ÿ', 'é€', '€', 'x'.repeat(70000) + 'é', 'emoji 😀', 'lone \ud800 and \udc00', ''];
  for (const string of strings) {
    assert.equal(context.evalSync(`${JSON.stringify(string)}.length`), string.length);
    context.global.setSync('value', string);
    assert.equal(context.evalSync('value'), string);
    assert.equal(context.evalSync(`value === ${JSON.stringify(string)}`), true);
  }
  assert.equal(context.evalSync('const café = "crème"; café'), 'crème');
  isolate.dispose();
});

test('eval returns a promise of the same result; evalIgnored returns nothing', async () => {
  const { isolate, context } = setup();
  const promise = context.eval('6 * 7');
  assert.ok(promise instanceof Promise);
  assert.equal(await promise, 42);
  assert.equal(context.evalIgnored('globalThis.y = 5'), undefined);
  assert.equal(await context.eval('y'), 5);
  isolate.dispose();
});

test('a function result becomes a callable function in Node', () => {
  const { isolate, context } = setup();
  const add = context.evalSync('(function add(a, b) { return a + b })');
  assert.equal(typeof add, 'function');
  assert.equal(add(2, 3), 5);
  isolate.dispose();
});

test('contexts are separate global environments', () => {
  const { isolate, context } = setup();
  const other = isolate.createContextSync();
  context.evalSync('globalThis.shared = 1; Object.prototype.polluted = 1');
  assert.equal(other.evalSync('typeof shared'), 'undefined');
  assert.equal(other.evalSync('({}).polluted'), undefined);
  isolate.dispose();
});

test('evalClosure passes $0, $1... and supports return', async () => {
  const { isolate, context } = setup();
  assert.equal(context.evalClosureSync('return $0 + $1', [2, 3]), 5);
  assert.equal(context.evalClosureSync('return this === globalThis'), true);
  assert.equal(await context.evalClosure('return $0.repeat(2)', ['ab']), 'abab');
  context.evalClosureIgnored('globalThis.z = $0', [9]);
  assert.equal(await context.eval('z'), 9);
  // The result of evalClosure must be transferable.
  assert.throws(() => context.evalClosureSync('return {}'), { name: 'TypeError', message: 'A non-transferable value was passed' });
  assert.throws(() => context.evalClosureSync('return 1', 5), { name: 'TypeError', message: '`evalClosureSync` requires parameter 2 to be an array' });
  assert.throws(() => context.evalClosureSync('return 1', [{}]), { name: 'TypeError', message: 'A non-transferable value was passed' });
  isolate.dispose();
});

test('host functions passed to evalClosure are callable from the isolate', () => {
  const { isolate, context } = setup();
  const seen = [];
  context.evalClosureSync('$0("a", 1); $0("b", 2)', [(...args) => seen.push(args)]);
  assert.deepEqual(seen, [['a', 1], ['b', 2]]);
  isolate.dispose();
});

test('context.global is a Reference to the global object, the same each time', () => {
  const { isolate, context } = setup();
  const global = context.global;
  assert.ok(global instanceof ivm.Reference);
  assert.equal(global, context.global);
  assert.equal(global.typeof, 'object');
  global.setSync('answer', 42);
  assert.equal(context.evalSync('answer'), 42);
  assert.equal(global.getSync('answer'), 42);
  isolate.dispose();
});

test('the documented global example: global, log and derefInto', () => {
  const { isolate, context } = setup();
  const jail = context.global;
  jail.setSync('global', jail.derefInto());
  const logged = [];
  jail.setSync('log', (...args) => logged.push(args.join(' ')));
  context.evalSync('log("hello world"); log(global === globalThis)');
  assert.deepEqual(logged, ['hello world', 'true']);
  isolate.dispose();
});

test('release() releases the context and its global reference', async () => {
  const { isolate, context } = setup();
  const global = context.global;
  assert.equal(context.release(), true);
  assert.equal(context.release(), false);
  assert.equal(context.global, undefined);
  assert.throws(() => context.evalSync('1'), { name: 'Error', message: 'Context is released' });
  await assert.rejects(context.eval('1'), { name: 'Error', message: 'Context is released' });
  assert.throws(() => context.evalIgnored('1'), { name: 'Error', message: 'Context is released' });
  assert.throws(() => global.getSync('x'), { name: 'Error', message: 'Reference has been released' });
  isolate.dispose();
});

test('eval validates its arguments', () => {
  const { isolate, context } = setup();
  assert.throws(() => context.evalSync(), { name: 'TypeError', message: '`evalSync` requires at least 1 parameter' });
  assert.throws(() => context.evalSync(1), { name: 'TypeError', message: '`evalSync` requires parameter 1 to be a string' });
  assert.throws(() => context.eval(1), { name: 'TypeError', message: '`eval` requires parameter 1 to be a string' });
  assert.throws(() => context.evalSync('1', 5), { name: 'TypeError', message: '`evalSync` requires parameter 2 to be an object' });
  assert.throws(() => context.evalSync('1', { timeout: '5' }), { name: 'TypeError', message: '`timeout` must be a 32-bit number' });
  assert.throws(() => context.evalSync('1', { timeout: 1.5 }), { name: 'TypeError', message: '`timeout` must be a 32-bit number' });
  assert.throws(() => context.evalSync('1', { copy: true, reference: true }), { name: 'TypeError', message: 'Only one of `copy`, `externalCopy`, or `reference` may be set' });
  assert.throws(() => ivm.Context.prototype.evalSync.call({}, '1'), { name: 'TypeError', message: 'Illegal invocation' });
  assert.throws(() => new ivm.Context(), { name: 'TypeError', message: 'Illegal constructor' });
  assert.equal(context.evalSync('1', null), 1);
  isolate.dispose();
});

test('script origin shows in stack traces and error positions', () => {
  const { isolate, context } = setup();
  const thrown = (() => {
    try {
      context.evalSync('\nfunction f() { throw new RangeError("deep") }\nf()', { filename: 'file:///app.js', lineOffset: 10 });
    } catch (error) {
      return error;
    }
  })();
  assert.equal(thrown.name, 'RangeError');
  assert.equal(thrown.message, 'deep');
  const lines = thrown.stack.split('\n');
  assert.equal(lines[0], 'RangeError: deep');
  assert.equal(lines[1], '    at f (file:///app.js:12:22)');
  assert.equal(lines[2], '    at file:///app.js:13:1');
  assert.equal(lines[3], '    at (<isolated-vm boundary>)');
  assert.match(lines[4], /context\.test\.js/);
  isolate.dispose();
});
