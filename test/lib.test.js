'use strict';
// `ivm.lib`: isolated-vm's utilities object, in Node and inside isolates.
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

const nanoseconds = ([seconds, nanos]) => seconds * 1e9 + nanos;

test('ivm.lib is a frozen Lib that cannot be constructed', () => {
  assert.ok(Object.keys(ivm).includes('lib'));
  assert.equal(ivm.lib.constructor.name, 'Lib');
  assert.ok(Object.isFrozen(ivm.lib));
  assert.throws(() => new ivm.lib.constructor(), { name: 'TypeError', message: 'Illegal constructor' });
  assert.throws(() => ivm.lib.hrtime.call({}), { name: 'TypeError', message: 'Illegal invocation' });
});

test('lib.hrtime() reads the clock of process.hrtime()', () => {
  const ours = ivm.lib.hrtime();
  const node = process.hrtime();
  assert.equal(ours.length, 2);
  assert.ok(ours.every(Number.isInteger) && ours[1] >= 0 && ours[1] < 1e9);
  assert.ok(Math.abs(nanoseconds(node) - nanoseconds(ours)) < 5e6, `${ours} and ${node}`);
});

test('lib.hrtime(previous) gives the time elapsed since previous', async () => {
  const start = ivm.lib.hrtime();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const elapsed = nanoseconds(ivm.lib.hrtime(start));
  assert.ok(elapsed >= 15e6 && elapsed < 60e9, `${elapsed} ns`);
  // Nanoseconds borrow from seconds, as in process.hrtime. (Bun's clock starts with the
  // process, so its first second has no second to borrow from.)
  const now = ivm.lib.hrtime();
  const previous = now[0] >= 1 ? [now[0] - 1, 999_999_999] : [0, 0];
  const since = ivm.lib.hrtime(previous);
  assert.ok(since[1] >= 0 && since[1] < 1e9, `${since}`);
  const late = nanoseconds(since) - (nanoseconds(now) - nanoseconds(previous));
  assert.ok(late >= 0 && late < 1e9, `${since} since ${previous}, now ${now}`);
  assert.deepEqual(ivm.lib.hrtime(null).length, 2);
});

test('lib.hrtime checks its argument', () => {
  assert.throws(() => ivm.lib.hrtime([1]), { name: 'TypeError', message: 'hrtime diff must be 2-length array' });
  assert.throws(() => ivm.lib.hrtime([1, 2, 3]), { name: 'TypeError', message: 'hrtime diff must be 2-length array' });
  assert.throws(() => ivm.lib.hrtime('1,2'), { name: 'TypeError', message: '`hrtime` requires parameter 1 to be an array' });
  for (const bad of [[1.5, 0], ['1', 0], [-1, 0], [1, 1e9], [1, -1]]) {
    assert.throws(() => ivm.lib.hrtime(bad), { name: 'TypeError', message: 'hrtime diff must hold whole seconds and nanoseconds' });
  }
});

test('lib.hrtime works inside isolates given ivm.lib or ivm, on the same clock', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('lib', ivm.lib);
  context.global.setSync('ivm', ivm);
  assert.equal(context.evalSync('lib.constructor.name + (lib instanceof ivm.lib.constructor)'), 'Libtrue');
  const inside = context.evalSync('const t = lib.hrtime(); [t instanceof Array, t[0], t[1]]', { copy: true });
  const node = process.hrtime();
  assert.equal(inside[0], true);
  assert.ok(Math.abs(nanoseconds(node) - nanoseconds(inside.slice(1))) < 5e6, `${inside} and ${node}`);
  const elapsed = context.evalSync('const s = ivm.lib.hrtime(); const e = ivm.lib.hrtime(s); e[0] * 1e9 + e[1]');
  assert.ok(elapsed >= 0 && elapsed < 5e9);
  assert.equal(context.evalSync('try { lib.hrtime([1]) } catch (e) { e.message }'), 'hrtime diff must be 2-length array');
  // A Lib passed back is a Lib of Node.
  const back = context.global.getSync('lib');
  assert.equal(back.constructor, ivm.lib.constructor);
  assert.equal(back.hrtime().length, 2);
  isolate.dispose();
});
