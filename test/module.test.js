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

// A resolver over a map of sources, compiling each module once and recording its calls.
function sources(isolate, files) {
  const modules = new Map();
  const calls = [];
  const compile = (specifier) => {
    if (!(specifier in files)) {
      throw new Error(`no module ${specifier}`);
    }
    if (!modules.has(specifier)) {
      modules.set(specifier, isolate.compileModuleSync(files[specifier], { filename: `file:///${specifier}.js` }));
    }
    return modules.get(specifier);
  };
  const resolve = (specifier, referrer) => {
    calls.push(specifier);
    return compile(specifier);
  };
  return { compile, resolve, calls };
}

test('compileModule gives a Module with its dependency specifiers', async () => {
  const { isolate } = setup();
  const module = await isolate.compileModule('import a from "./a"; import { b } from "./b"; export * from "./c"; import("./d");');
  assert.ok(module instanceof ivm.Module);
  assert.deepEqual(module.dependencySpecifiers, ['./a', './b', './c']);
  assert.deepEqual(isolate.compileModuleSync('export default 1').dependencySpecifiers, []);
  isolate.dispose();
});

test('a graph with shared and cyclic dependencies instantiates and evaluates', async () => {
  const { isolate, context } = setup();
  const { compile, resolve, calls } = sources(isolate, {
    main: 'import { even } from "even"; import { odd } from "odd"; export default [even(10), odd(7), even(3)].join();',
    even: 'import { odd } from "odd"; import { one } from "shared"; export function even(n) { return n === 0 ? true : odd(n - one); }',
    odd: 'import { even } from "even"; import { one } from "shared"; export function odd(n) { return n === 0 ? false : even(n - one); }',
    shared: 'export const one = 1;',
  });
  const main = compile('main');
  await main.instantiate(context, resolve);
  // Each dependency of each module is asked for once.
  assert.deepEqual([...calls].sort(), ['even', 'odd', 'odd', 'even', 'shared', 'shared'].sort());
  await main.evaluate();
  assert.equal(await main.namespace.get('default'), 'true,true,false');
  isolate.dispose();
});

test('the resolver receives the specifier and the importing module', () => {
  const { isolate, context } = setup();
  const main = isolate.compileModuleSync('import x from "dep"; export default x;');
  const dependency = isolate.compileModuleSync('export default 7;');
  const seen = [];
  main.instantiateSync(context, (specifier, referrer) => {
    seen.push([specifier, referrer === main]);
    return dependency;
  });
  assert.deepEqual(seen, [['dep', true]]);
  main.evaluateSync();
  assert.equal(main.namespace.getSync('default'), 7);
  isolate.dispose();
});

test('instantiate accepts a resolver returning promises; instantiateSync does not', async () => {
  const { isolate, context } = setup();
  const main = isolate.compileModuleSync('import x from "dep"; export default x * 2;');
  assert.throws(() => main.instantiateSync(context, async () => isolate.compileModuleSync('export default 1')), {
    name: 'TypeError',
    message: 'Resolved dependency was not `Module` (resolving "dep" from <isolated-vm>)',
  });
  await main.instantiate(context, async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return isolate.compileModule('export default 21');
  });
  await main.evaluate();
  assert.equal(main.namespace.getSync('default'), 42);
  isolate.dispose();
});

test('instantiating twice has no effect', async () => {
  const { isolate, context } = setup();
  const main = isolate.compileModuleSync('import x from "dep"; export default x;');
  let calls = 0;
  const resolver = () => {
    calls++;
    return isolate.compileModuleSync('export default 1');
  };
  main.instantiateSync(context, resolver);
  main.instantiateSync(context, resolver);
  await main.instantiate(context, resolver);
  assert.equal(calls, 1);
  main.evaluateSync();
  assert.equal(main.namespace.getSync('default'), 1);
  isolate.dispose();
});

test('graphs sharing modules can be instantiated at the same time', async () => {
  const { isolate, context } = setup();
  const shared = isolate.compileModuleSync('export const n = 20;');
  const slowly = async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    return shared;
  };
  const a = isolate.compileModuleSync('import { n } from "shared"; export default n + 1;');
  const b = isolate.compileModuleSync('import { n } from "shared"; export default n + 2;');
  await Promise.all([a.instantiate(context, slowly), b.instantiate(context, slowly)]);
  await Promise.all([a.evaluate(), b.evaluate()]);
  assert.deepEqual([a.namespace.getSync('default'), b.namespace.getSync('default')], [21, 22]);
  isolate.dispose();
});

test('evaluate runs the module once; later calls give the first outcome', async () => {
  const { isolate, context } = setup();
  const ok = isolate.compileModuleSync('globalThis.runs = (globalThis.runs ?? 0) + 1; export default 5;');
  ok.instantiateSync(context, () => {});
  assert.equal(await ok.evaluate(), undefined);
  assert.equal(ok.evaluateSync(), undefined);
  assert.equal(context.evalSync('runs'), 1);

  const failing = isolate.compileModuleSync('throw new TypeError("boom");', { filename: 'file:///failing.js' });
  failing.instantiateSync(context, () => {});
  await assert.rejects(failing.evaluate(), { name: 'TypeError', message: 'boom' });
  await assert.rejects(failing.evaluate(), { name: 'TypeError', message: 'boom' });
  assert.throws(() => failing.evaluateSync(), { name: 'TypeError', message: 'boom' });
  // The isolate stays usable.
  assert.equal(context.evalSync('1 + 1'), 2);
  isolate.dispose();
});

test('evaluate takes a timeout', async () => {
  const { isolate, context } = setup();
  const loop = isolate.compileModuleSync('for (;;) {}');
  loop.instantiateSync(context, () => {});
  await assert.rejects(loop.evaluate({ timeout: 20 }), { message: 'Script execution timed out.' });
  const syncLoop = isolate.compileModuleSync('for (;;) {}');
  syncLoop.instantiateSync(context, () => {});
  assert.throws(() => syncLoop.evaluateSync({ timeout: 20 }), { message: 'Script execution timed out.' });
  assert.equal(context.evalSync('2 + 2'), 4);
  isolate.dispose();
});

test('top-level await: evaluate settles when the module does', async () => {
  const { isolate, context } = setup();
  context.global.setSync('later', new ivm.Reference((value) => new Promise((resolve) => setTimeout(() => resolve(value), 20))));
  const waits = isolate.compileModuleSync('export const value = await later.apply(undefined, [9], { result: { promise: true } });');
  waits.instantiateSync(context, () => {});
  const started = Date.now();
  await waits.evaluate();
  assert.ok(Date.now() - started >= 15);
  assert.equal(waits.namespace.getSync('value'), 9);

  const rejects = isolate.compileModuleSync('await later.apply(undefined, [0], { result: { promise: true } }); throw new RangeError("late");');
  rejects.instantiateSync(context, () => {});
  await assert.rejects(rejects.evaluate(), { name: 'RangeError', message: 'late' });

  // A dependency's top-level await holds up its importer.
  const dependency = isolate.compileModuleSync('export let ready = false; await later.apply(undefined, [0], { result: { promise: true } }); ready = true;');
  const importer = isolate.compileModuleSync('import { ready } from "dep"; export const seen = ready;');
  await importer.instantiate(context, () => dependency);
  await importer.evaluate();
  assert.equal(importer.namespace.getSync('seen'), true);
  isolate.dispose();
});

test('the timeout covers the whole evaluation, awaits included', async () => {
  const { isolate, context } = setup();
  const never = isolate.compileModuleSync('await new Promise(() => {});');
  never.instantiateSync(context, () => {});
  const started = Date.now();
  await assert.rejects(never.evaluate({ timeout: 50 }), { message: 'Script execution timed out.' });
  // Not forever (a loaded machine may take a while).
  assert.ok(Date.now() - started < 15000);
  isolate.dispose();
});

test('namespace is a Reference to the exports once instantiated', () => {
  const { isolate, context } = setup();
  const module = isolate.compileModuleSync('export const a = 1; export function f(x) { return x * 3; }');
  assert.throws(() => module.namespace, { message: 'Module has not been instantiated.' });
  module.instantiateSync(context, () => {});
  module.evaluateSync();
  const namespace = module.namespace;
  assert.ok(namespace instanceof ivm.Reference);
  assert.equal(namespace.typeof, 'object');
  assert.equal(namespace.getSync('a'), 1);
  assert.equal(namespace.getSync('f', { reference: true }).applySync(undefined, [5]), 15);
  isolate.dispose();
});

test('meta is called with import.meta, from isolate code', () => {
  const { isolate, context } = setup();
  context.global.setSync('isolate', isolate);
  context.global.setSync('context', context);
  assert.equal(context.evalSync(`
    let calls = 0;
    const module = isolate.compileModuleSync('export default [import.meta.url, import.meta.url, typeof import.meta]', {
      meta(meta) { calls++; meta.url = 'file:///inside.js'; },
    });
    module.instantiateSync(context, () => {});
    module.evaluateSync();
    module.namespace.getSync('default', { copy: true }).join() + ':' + calls;
  `), 'file:///inside.js,file:///inside.js,object:1');
  assert.throws(() => isolate.compileModuleSync('export {}', { meta() {} }), { message: '`meta` callback must belong to entered isolate' });
  assert.throws(() => isolate.compileModuleSync('export {}', { meta: 1 }), { name: 'TypeError', message: '`meta` must be a function' });
  isolate.dispose();
});

test('modules can be compiled, linked and evaluated from isolate code', async () => {
  const { isolate, context } = setup();
  context.global.setSync('ivm', ivm);
  context.global.setSync('isolate', isolate);
  context.global.setSync('context', context);
  const result = await context.eval(`
    (async () => {
      const files = { a: 'import b from "b"; export default b * 2', b: 'export default 21' };
      const module = isolate.compileModuleSync(files.a);
      await module.instantiate(context, async (specifier) => isolate.compileModuleSync(files[specifier]));
      await module.evaluate();
      return module.namespace.getSync('default') + ':' + (module instanceof ivm.Module);
    })()
  `, { promise: true });
  assert.equal(result, '42:true');
  isolate.dispose();
});

test('import() resolves through the resolver the module was instantiated with', async () => {
  const { isolate, context } = setup();
  const { compile, resolve, calls } = sources(isolate, {
    main: 'export const loaded = import("lazy").then((ns) => ns.default + ns.twice(ns.default));',
    lazy: 'import { twice } from "helper"; export { twice }; export default 7;',
    helper: 'export const twice = (x) => x * 2;',
  });
  const main = compile('main');
  await main.instantiate(context, resolve);
  await main.evaluate();
  const loaded = await main.namespace.get('loaded', { reference: true });
  assert.equal(await context.evalClosure('return $0.deref()', [loaded], { result: { promise: true } }), 21);
  assert.deepEqual(calls, ['lazy', 'helper']);

  // A module instantiated synchronously imports the same way.
  const other = isolate.compileModuleSync('export const loaded = import("lazy").then((ns) => ns.default);');
  other.instantiateSync(context, resolve);
  other.evaluateSync();
  const again = other.namespace.getSync('loaded', { reference: true });
  assert.equal(await context.evalClosure('return $0.deref()', [again], { result: { promise: true } }), 7);
  isolate.dispose();
});

test('import() failures reject the import with an error naming the specifier', async () => {
  const { isolate, context } = setup();
  const { compile, resolve } = sources(isolate, {
    main: `export const outcomes = Promise.all(["missing", "broken", "throws"].map(
      (specifier) => import(specifier).then(() => "loaded", (error) => error.name + ": " + error.message)));`,
    broken: 'export default (',
    throws: 'throw new EvalError("at load");',
  });
  const main = compile('main');
  main.instantiateSync(context, resolve);
  main.evaluateSync();
  const outcomes = main.namespace.getSync('outcomes', { reference: true });
  assert.deepEqual(await context.evalClosure('return $0.deref()', [outcomes], { result: { promise: true, copy: true } }), [
    'Error: no module missing (resolving "missing" from file:///main.js)',
    'SyntaxError: Unexpected end of input [file:///broken.js:1:17] (resolving "broken" from file:///main.js)',
    'EvalError: at load',
  ]);
  isolate.dispose();
});

test('import() without a resolver rejects with a clear error', async () => {
  const { isolate, context } = setup();
  const message = 'Cannot import "x": dynamic import() needs a module instantiated with a resolver';
  assert.equal(await context.eval('import("x").catch((error) => error.name + ": " + error.message)', { promise: true }), `TypeError: ${message}`);
  const script = isolate.compileScriptSync('import("y").catch((error) => error.message)');
  assert.equal(await script.run(context, { promise: true }), message.replace('"x"', '"y"'));
  isolate.dispose();
});

test('bad resolvers give errors naming the specifier, and the isolate stays usable', async () => {
  const { isolate, context } = setup();
  const other = new ivm.Isolate();
  const main = () => isolate.compileModuleSync('import x from "dep"; export default x;', { filename: 'file:///main.js' });
  const from = '(resolving "dep" from file:///main.js)';

  assert.throws(() => main().instantiateSync(context, () => { throw new RangeError('cannot'); }), { name: 'RangeError', message: `cannot ${from}` });
  await assert.rejects(main().instantiate(context, async () => { throw new RangeError('cannot'); }), { name: 'RangeError', message: `cannot ${from}` });
  const thrown = (() => {
    try {
      main().instantiateSync(context, () => { throw new Error('with stack'); });
    } catch (error) {
      return error;
    }
  })();
  assert.equal(thrown.stack.split('\n')[0], `Error: with stack ${from}`);
  // Thrown values that are not errors pass through untouched.
  assert.throws(() => main().instantiateSync(context, () => { throw 'plain'; }), (error) => error === 'plain');

  for (const value of [undefined, 42, {}, context, new ivm.Reference(1)]) {
    assert.throws(() => main().instantiateSync(context, () => value), { name: 'TypeError', message: `Resolved dependency was not \`Module\` ${from}` });
    await assert.rejects(main().instantiate(context, () => value), { name: 'TypeError', message: `Resolved dependency was not \`Module\` ${from}` });
  }
  const foreign = other.compileModuleSync('export default 1');
  assert.throws(() => main().instantiateSync(context, () => foreign), {
    name: 'TypeError',
    message: 'Resolved dependency "dep" of file:///main.js belongs to another isolate',
  });
  await assert.rejects(main().instantiate(context, () => foreign), { name: 'TypeError', message: 'Resolved dependency "dep" of file:///main.js belongs to another isolate' });

  assert.throws(
    () => main().instantiateSync(context, () => isolate.compileModuleSync('export default (', { filename: 'file:///dep.js' })),
    { name: 'SyntaxError', message: `Unexpected end of input [file:///dep.js:1:17] ${from}` },
  );
  assert.throws(
    () => isolate.compileModuleSync('import { missing } from "dep";').instantiateSync(context, () => isolate.compileModuleSync('export default 1')),
    { name: 'SyntaxError', message: "The requested module 'dep' does not provide an export named 'missing'" },
  );
  // A module whose linking failed can be linked again.
  const retried = main();
  assert.throws(() => retried.instantiateSync(context, () => 1));
  retried.instantiateSync(context, () => isolate.compileModuleSync('export default "second try"'));
  retried.evaluateSync();
  assert.equal(retried.namespace.getSync('default'), 'second try');

  assert.equal(context.evalSync('3 * 3'), 9);
  other.dispose();
  isolate.dispose();
});

test('misuse gives isolated-vm errors', async () => {
  const { isolate, context } = setup();
  const module = isolate.compileModuleSync('export default 1');
  assert.throws(() => module.evaluateSync(), { message: 'Module is uninstantiated' });
  await assert.rejects(module.evaluate(), { message: 'Module is uninstantiated' });
  assert.throws(() => module.instantiateSync(context), { name: 'TypeError', message: '`instantiateSync` requires at least 2 parameters' });
  assert.throws(() => module.instantiateSync(context, 1), { name: 'TypeError', message: '`instantiateSync` requires parameter 2 to be a function' });
  assert.throws(() => module.instantiateSync({}, () => {}), { name: 'TypeError', message: '`instantiateSync` requires parameter 1 to be a Context' });
  assert.throws(() => isolate.compileModuleSync(1), { name: 'TypeError', message: '`compileModuleSync` requires parameter 1 to be a string' });
  assert.throws(() => isolate.compileModuleSync('export default (', { filename: 'file:///bad.js', lineOffset: 10, columnOffset: 3 }), {
    name: 'SyntaxError',
    message: 'Unexpected end of input [file:///bad.js:11:20]',
  });
  assert.throws(() => new ivm.Module(), { name: 'TypeError', message: 'Illegal constructor' });

  const other = isolate.compileModuleSync('export default 2');
  const otherIsolate = new ivm.Isolate();
  assert.throws(() => other.instantiateSync(otherIsolate.createContextSync(), () => {}), { message: 'Invalid context' });
  otherIsolate.dispose();

  module.release();
  assert.throws(() => module.dependencySpecifiers, { message: 'Module has been released' });
  assert.throws(() => module.instantiateSync(context, () => {}), { message: 'Module has been released' });
  assert.throws(() => module.namespace, { message: 'Module has been released' });
  isolate.dispose();
  assert.throws(() => other.instantiateSync(context, () => {}), { message: 'Isolated is disposed' });
  await assert.rejects(isolate.compileModule('export {}'), { message: 'Isolate is disposed' });
});

test('modules show their origin in stack traces', () => {
  const { isolate, context } = setup();
  const module = isolate.compileModuleSync('\n\nexport function f() {\n  throw new Error("from module");\n}', { filename: 'file:///lib/mod.js', lineOffset: 100, columnOffset: 4 });
  module.instantiateSync(context, () => {});
  module.evaluateSync();
  const error = (() => {
    try {
      module.namespace.getSync('f', { reference: true }).applySync();
    } catch (error) {
      return error;
    }
  })();
  const lines = error.stack.split('\n');
  assert.equal(lines[0], 'Error: from module');
  assert.equal(lines[1], '    at f (file:///lib/mod.js:104:9)');
  assert.equal(lines[2], '    at (<isolated-vm boundary>)');
  isolate.dispose();
});

test('Module instances take cachedData properties; they are transferable', async () => {
  const { isolate, context } = setup();
  const module = isolate.compileModuleSync('export default 3', { produceCachedData: true });
  assert.ok(module.cachedData instanceof ivm.ExternalCopy);
  assert.equal(Object.isFrozen(module), false);
  // A Module passed into the isolate is the same module.
  context.global.setSync('module', module);
  context.global.setSync('context', context);
  context.evalSync('module.instantiateSync(context, () => {}); module.evaluateSync()');
  assert.equal(module.namespace.getSync('default'), 3);
  isolate.dispose();
});

test('instantiateSync calls the resolver depth first, in source order, for long chains too', () => {
  const { isolate, context } = setup();
  const { compile, resolve, calls } = sources(isolate, {
    main: 'import "a"; import "d";',
    a: 'import "b"; import "c";',
    b: 'import "c";',
    c: 'export {}',
    d: 'import "a"; import "c";',
  });
  compile('main').instantiateSync(context, resolve);
  assert.deepEqual(calls, ['a', 'b', 'c', 'c', 'd', 'a', 'c']);

  // A chain of 1000 imports.
  const chain = new Map();
  const link = (specifier) => {
    if (!chain.has(specifier)) {
      const next = Number(specifier) + 1;
      chain.set(specifier, isolate.compileModuleSync(next < 1000 ? `export { n } from "${next}";` : 'export const n = "end";'));
    }
    return chain.get(specifier);
  };
  const head = link('0');
  head.instantiateSync(context, link);
  head.evaluateSync();
  assert.equal(head.namespace.getSync('n'), 'end');
  isolate.dispose();
});
