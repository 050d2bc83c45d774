'use strict';
// Isolate code given the API may replace any built-in afterwards. The facade (lib/facade/) runs
// in the isolate too, so it must keep working with what it captured when it started: here
// isolate code replaces every method, getter and global the facade could reach with ones that
// throw, then uses the whole in-isolate API, sync and async, and checks exact results.
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

// Replaces built-ins with functions (and getters) that throw "<name> was used": every
// configurable method and accessor of the objects listed, then the globals. It keeps
// `TypeError` as `OriginalTypeError`, for checks. Uses nothing after replacing it.
const REPLACE_BUILT_INS = `
  globalThis.OriginalTypeError = TypeError;
  {
    const getDescriptor = Object.getOwnPropertyDescriptor;
    const define = Object.defineProperty;
    const ownKeys = Reflect.ownKeys;
    const getPrototype = Object.getPrototypeOf;
    const stringOf = String;
    const ErrorCtor = Error;
    const thrower = (name) => function () { throw new ErrorCtor(name + ' was used'); };
    const replaceAll = (object, name) => {
      const keys = ownKeys(object);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const descriptor = getDescriptor(object, key);
        if (!descriptor.configurable || key === 'constructor' || key === 'prototype') {
          continue;
        }
        const what = name + '.' + stringOf(key);
        if (descriptor.get !== undefined || descriptor.set !== undefined) {
          define(object, key, { get: thrower(what), set: thrower(what), configurable: true });
        } else if (typeof descriptor.value === 'function') {
          define(object, key, { value: thrower(what), writable: true, configurable: true });
        }
      }
    };
    const objects = [
      [Object, 'Object'], [Object.prototype, 'Object.prototype'], [Function.prototype, 'Function.prototype'],
      [Array, 'Array'], [Array.prototype, 'Array.prototype'], [getPrototype([][Symbol.iterator]()), '%ArrayIteratorPrototype%'],
      [getPrototype(getPrototype([][Symbol.iterator]())), '%IteratorPrototype%'],
      [Map, 'Map'], [Map.prototype, 'Map.prototype'], [getPrototype(new Map()[Symbol.iterator]()), '%MapIteratorPrototype%'],
      [Set, 'Set'], [Set.prototype, 'Set.prototype'], [getPrototype(new Set()[Symbol.iterator]()), '%SetIteratorPrototype%'],
      [WeakMap.prototype, 'WeakMap.prototype'], [WeakSet.prototype, 'WeakSet.prototype'], [WeakRef.prototype, 'WeakRef.prototype'],
      [Promise, 'Promise'], [Promise.prototype, 'Promise.prototype'], [JSON, 'JSON'], [Reflect, 'Reflect'],
      [String, 'String'], [String.prototype, 'String.prototype'], [Number, 'Number'], [Number.prototype, 'Number.prototype'],
      [Symbol, 'Symbol'], [Symbol.prototype, 'Symbol.prototype'], [Error, 'Error'], [Error.prototype, 'Error.prototype'],
      [RegExp.prototype, 'RegExp.prototype'], [Math, 'Math'],
    ];
    const globals = ['Object', 'Array', 'Map', 'Set', 'WeakMap', 'WeakRef', 'Promise', 'JSON', 'Reflect', 'Number', 'Symbol', 'Error', 'TypeError', 'RangeError', 'Math'];
    for (let i = 0; i < objects.length; i++) {
      replaceAll(objects[i][0], objects[i][1]);
    }
    for (let i = 0; i < globals.length; i++) {
      define(globalThis, globals[i], { get: thrower(globals[i]), set: thrower(globals[i]), configurable: true });
    }
  }
`;

// An isolate whose code has the API (`ivm`), then replaced its built-ins; `put(name, value)`
// appends "name=value;" to `out`.
function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  context.evalSync('globalThis.out = ""; globalThis.put = (name, value) => { out += name + "=" + value + ";"; };');
  context.evalSync(REPLACE_BUILT_INS);
  return { isolate, context };
}

test('the replacement of built-ins is in force in the isolate', () => {
  const { isolate, context } = setup();
  assert.equal(context.evalSync('try { [1].forEach(() => {}); } catch (error) { put("forEach", error.message); } out'), 'forEach=Array.prototype.forEach was used;');
  assert.equal(context.evalSync('try { [...[1]]; } catch (error) { put("spread", error.message); } out'), 'forEach=Array.prototype.forEach was used;spread=Array.prototype.Symbol(Symbol.iterator) was used;');
  isolate.dispose();
});

test('the sync API works inside an isolate whose built-ins were replaced', () => {
  const { isolate, context } = setup();
  const out = context.evalSync(`
    const inner = new ivm.Isolate({ memoryLimit: 32 });
    const ctx = inner.createContextSync();
    put('evalSync', ctx.evalSync('6 * 7', { filename: 'six.js', lineOffset: 1, columnOffset: 2, timeout: 1000 }));
    put('evalClosureSync', ctx.evalClosureSync('return $0 + $1.n', [40, { n: 2 }], { arguments: { copy: true } }));
    const multiply = ctx.evalSync('(a, b) => a * b', { reference: true });
    put('applySync', multiply.applySync(undefined, [6, 7], { timeout: 1000 }));
    put('typeof', multiply.typeof);
    const sum = new ivm.Reference((a, b) => a + b);
    put('own applySync', sum.applySync(undefined, [40, 2], { arguments: { copy: true } }));
    ctx.global.setSync('answer', 42);
    put('getSync', ctx.global.getSync('answer'));
    const script = inner.compileScriptSync('answer + 1', { filename: 'script.js' });
    put('runSync', script.runSync(ctx, { timeout: 1000 }));
    const copy = new ivm.ExternalCopy({ list: [1, 2, 3] });
    put('ExternalCopy', copy.copy().list[2]);
    ctx.global.setSync('copied', copy.copyInto({ release: true }));
    put('copyInto', ctx.evalSync('copied.list.length'));
    ctx.global.setSync('add', new ivm.Callback((a, b) => a + b));
    put('Callback', ctx.evalSync('add(40, 2)'));

    const modules = {
      dep: inner.compileModuleSync('export const x = 40;', { filename: 'file:///dep.js' }),
      './y': inner.compileModuleSync('import { x } from "dep"; export const y = x - 38;', { filename: 'file:///y.js' }),
    };
    const main = inner.compileModuleSync('import { x } from "dep"; import { y } from "./y"; export default x + y;', { filename: 'file:///main.js' });
    let referrers = '';
    main.instantiateSync(ctx, (specifier, referrer) => {
      referrers += specifier + '<' + (referrer === main ? 'main' : referrer === modules['./y'] ? 'y' : '?') + ' ';
      return modules[specifier];
    });
    main.evaluateSync({ timeout: 1000 });
    put('module', main.namespace.getSync('default'));
    put('referrers', referrers);
    put('dependencySpecifiers', main.dependencySpecifiers.length + main.dependencySpecifiers[1]);
    const broken = inner.compileModuleSync('import "missing";', { filename: 'file:///broken.js' });
    try {
      broken.instantiateSync(ctx, () => { throw new OriginalTypeError('no module'); });
    } catch (error) {
      put('resolver error', (error instanceof OriginalTypeError) + ' ' + error.message);
    }
    try {
      broken.instantiateSync(ctx, () => 'not a module');
    } catch (error) {
      put('not a module', error.message);
    }
    // Enough modules for the facade to prune its table of them.
    for (let i = 0; i < 140; i++) {
      inner.compileModuleSync('export default ' + i + ';');
    }
    try {
      ctx.evalSync(42);
    } catch (error) {
      put('check', (error instanceof OriginalTypeError) + ' ' + error.message);
    }
    try {
      ctx.evalSync('1', { copy: true, reference: true });
    } catch (error) {
      put('options', error.message);
    }
    const time = ivm.lib.hrtime(ivm.lib.hrtime());
    put('hrtime', time.length + typeof time[0]);
    put('heap', typeof inner.getHeapStatisticsSync().used_heap_size);
    const snapshot = ivm.Isolate.createSnapshot([{ code: 'globalThis.fromSnapshot = 42;', filename: 'file:///snapshot.js' }]);
    const restored = new ivm.Isolate({ snapshot });
    put('snapshot', restored.createContextSync().evalSync('fromSnapshot'));
    restored.dispose();
    inner.dispose();
    put('disposed', inner.isDisposed);
    out;
  `);
  assert.equal(out, [
    'evalSync=42', 'evalClosureSync=42', 'applySync=42', 'typeof=function', 'own applySync=42', 'getSync=42', 'runSync=43',
    'ExternalCopy=3', 'copyInto=3', 'Callback=42', 'module=42', 'referrers=dep<main ./y<main dep<y ', 'dependencySpecifiers=2./y',
    'resolver error=true no module (resolving "missing" from file:///broken.js)',
    'not a module=Resolved dependency was not `Module` (resolving "missing" from file:///broken.js)',
    'check=true `evalSync` requires parameter 1 to be a string', 'options=Only one of `copy`, `externalCopy`, or `reference` may be set',
    'hrtime=2number', 'heap=number', 'snapshot=42', 'disposed=true', '',
  ].join(';'));
  isolate.dispose();
});

test('the async API works inside an isolate whose built-ins were replaced', async () => {
  const { isolate, context } = setup();
  const out = await context.eval(`(async () => {
    const inner = new ivm.Isolate();
    const ctx = await inner.createContext();
    put('eval', await ctx.eval('6 * 7'));
    put('evalClosure', await ctx.evalClosure('return $0 * $1', [6, 7], { result: { copy: true } }));
    const script = await inner.compileScript('1 + 2', { filename: 'three.js' });
    put('run', await script.run(ctx));
    const increment = await ctx.eval('(a) => a + 1', { reference: true });
    put('apply', await increment.apply(undefined, [41]));
    await ctx.global.set('answer', 42);
    put('get', await ctx.global.get('answer'));

    const modules = {
      dep: await inner.compileModule('export const x = 40;'),
      y: await inner.compileModule('import { x } from "dep"; export const y = x - 38;'),
      lazy: await inner.compileModule('import { y } from "y"; export default "lazy" + y;'),
    };
    // (\`namespace\` is sync, which an async call may not use on another isolate.)
    const main = await inner.compileModule('import { x } from "dep"; import { y } from "y"; globalThis.sum = x + y; globalThis.later = import("lazy").then((ns) => ns.default);');
    await main.instantiate(ctx, async (specifier) => modules[specifier]);
    await main.evaluate({ timeout: 1000 });
    put('module', await ctx.eval('sum'));
    put('import()', await ctx.eval('later', { promise: true }));
    const bad = await inner.compileModule('import "a"; import "b";', { filename: 'file:///bad.js' });
    try {
      await bad.instantiate(ctx, async (specifier) => {
        if (specifier === 'b') {
          throw new OriginalTypeError('no ' + specifier);
        }
        return modules.dep;
      });
    } catch (error) {
      put('resolver error', error.message);
    }
    put('heap', typeof (await inner.getHeapStatistics()).used_heap_size);
    inner.dispose();
    return out;
  })()`, { promise: true });
  assert.equal(out, [
    'eval=42', 'evalClosure=42', 'run=3', 'apply=42', 'get=42', 'module=42', 'import()=lazy2',
    'resolver error=no b (resolving "b" from file:///bad.js)', 'heap=number', '',
  ].join(';'));
  isolate.dispose();
});

test('CPU profiles can be taken inside an isolate whose built-ins were replaced', async () => {
  const { isolate, context } = setup();
  // Profiling starts with a sync call, which an async call may not make on another isolate.
  context.evalSync(`
    const inner = new ivm.Isolate();
    const ctx = inner.createContextSync();
    inner.startCpuProfiler('profile');
    ctx.evalSync('1');
    globalThis.profiled = (async () => {
      const profiles = await inner.stopCpuProfiler('profile');
      const nodes = profiles[0].profile.nodes;
      put('profiles', profiles.length);
      put('scriptId', typeof nodes[nodes.length - 1].callFrame.scriptId);
      put('threadId', typeof profiles[0].threadId);
      put('never started', (await inner.stopCpuProfiler('never started')).length);
      inner.dispose();
      return out;
    })();
  `);
  assert.equal(await context.eval('profiled', { promise: true }), 'profiles=1;scriptId=number;threadId=number;never started=0;');
  isolate.dispose();
});
