'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const { cpuTicks, startIsolate } = require('./support/processes');
const ivm = require('..');

test('new Isolate() uses defaults and accepts documented options', () => {
  const isolate = new ivm.Isolate();
  assert.equal(isolate.isDisposed, false);
  const limited = new ivm.Isolate({ memoryLimit: 8, inspector: false, onCatastrophicError() {} });
  assert.ok(limited.getHeapStatisticsSync().heap_size_limit <= 12 * 1024 * 1024);
  isolate.dispose();
  limited.dispose();
});

test('memoryLimit below 8 MB is rejected with the original message', () => {
  assert.throws(() => new ivm.Isolate({ memoryLimit: 7 }), { name: 'Error', message: '`memoryLimit` must be at least 8' });
  assert.throws(() => new ivm.Isolate({ memoryLimit: '64' }), { name: 'TypeError', message: '`memoryLimit` must be a number' });
  assert.throws(() => new ivm.Isolate(5), { name: 'TypeError', message: '`Isolate` requires parameter 1 to be an object' });
  assert.throws(() => new ivm.Isolate({ inspector: 1 }), { name: 'TypeError', message: '`inspector` must be a boolean' });
  assert.throws(() => ivm.Isolate(), { name: 'TypeError', message: '`Isolate` must be called with `new`' });
});

test('memoryLimit sets the heap limit', () => {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const { heap_size_limit } = isolate.getHeapStatisticsSync();
  assert.ok(heap_size_limit >= 60 * 1024 * 1024 && heap_size_limit <= 68 * 1024 * 1024, `heap_size_limit ${heap_size_limit}`);
  isolate.dispose();
});

// The fields of Node 20's v8.getHeapStatistics() (the host's own may have others: Bun's does).
const HEAP_STATISTICS = ['total_heap_size', 'total_heap_size_executable', 'total_physical_size', 'total_available_size', 'used_heap_size',
  'heap_size_limit', 'malloced_memory', 'peak_malloced_memory', 'does_zap_garbage', 'number_of_native_contexts', 'number_of_detached_contexts',
  'total_global_handles_size', 'used_global_handles_size', 'external_memory'];

test('getHeapStatistics has the fields of v8.getHeapStatistics() plus externally_allocated_size', async () => {
  const isolate = new ivm.Isolate();
  const sync = isolate.getHeapStatisticsSync();
  const async = await isolate.getHeapStatistics();
  assert.deepEqual(Object.keys(sync), [...HEAP_STATISTICS, 'externally_allocated_size']);
  for (const key of [...HEAP_STATISTICS, 'externally_allocated_size']) {
    assert.equal(typeof sync[key], 'number', key);
    assert.equal(typeof async[key], 'number', key);
  }
  assert.equal(sync.externally_allocated_size, 0);
  const context = isolate.createContextSync();
  context.evalSync('globalThis.buffer = new ArrayBuffer(1024 * 1024)');
  const withBuffer = isolate.getHeapStatisticsSync();
  assert.ok(withBuffer.externally_allocated_size >= 1024 * 1024);
  // The heap figures follow what the code keeps.
  context.evalSync('globalThis.objects = Array.from({ length: 2e5 }, (_, i) => ({ i }))');
  const withObjects = isolate.getHeapStatisticsSync();
  assert.ok(withObjects.used_heap_size - withBuffer.used_heap_size >= 4 * 1024 * 1024, `${withObjects.used_heap_size - withBuffer.used_heap_size}`);
  assert.ok(withObjects.total_heap_size >= withObjects.used_heap_size);
  assert.equal(withObjects.heap_size_limit, isolate.getHeapStatisticsSync().heap_size_limit);
  context.evalSync('globalThis.buffer = null; globalThis.objects = null');
  isolate.dispose();
});

// An isolate, and the CPU time the process it runs in has used so far, in nanoseconds, to within
// `tick`: this process, or out of process its child (read from /proc, in ticks of 10 ms).
function isolateAndItsProcessCpu() {
  if (!runtime.outOfProcess) {
    const cpu = () => {
      const { user, system } = process.cpuUsage();
      return BigInt(user + system) * 1000n;
    };
    return { isolate: new ivm.Isolate(), cpu, tick: 0n };
  }
  const { isolate, pid } = startIsolate(ivm);
  return { isolate, cpu: () => BigInt(cpuTicks(pid)) * 10_000_000n, tick: 10_000_000n };
}

test('cpuTime and wallTime are bigint nanoseconds that grow with work', runtime.skipUnless(!runtime.outOfProcess || process.platform === 'linux', 'out of process, the child\'s CPU time is read from /proc'), () => {
  const { isolate, cpu: processCpu, tick } = isolateAndItsProcessCpu();
  const context = isolate.createContextSync();
  const cpuBefore = isolate.cpuTime;
  const wallBefore = isolate.wallTime;
  assert.equal(typeof cpuBefore, 'bigint');
  assert.equal(typeof wallBefore, 'bigint');
  const processBefore = processCpu();
  context.evalSync('const end = Date.now() + 50; while (Date.now() < end);');
  // The loop ran on a thread of that process: most of its CPU time meanwhile, however busy the
  // machine (a shared one may give the loop little of the 50 ms).
  const processUsed = processCpu() - processBefore;
  const cpu = isolate.cpuTime - cpuBefore;
  assert.ok(cpu >= processUsed / 2n - tick && cpu <= processUsed + 2_000_000n + tick, `cpu ${cpu}, process ${processUsed}`);
  assert.ok(isolate.wallTime - wallBefore >= 45_000_000n, `wall ${isolate.wallTime - wallBefore}`);
  isolate.dispose();
});

test('wallTime includes time spent waiting in a host callback, cpuTime does not', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('sleep', (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms));
  const cpu = isolate.cpuTime;
  const wall = isolate.wallTime;
  context.evalSync('sleep(100)');
  assert.ok(isolate.wallTime - wall >= 90_000_000n, `wall ${isolate.wallTime - wall}`);
  assert.ok(isolate.cpuTime - cpu < 50_000_000n, `cpu ${isolate.cpuTime - cpu}`);
  isolate.dispose();
});

test('referenceCount counts the handles held for isolated-vm objects', () => {
  const isolate = new ivm.Isolate();
  const base = isolate.referenceCount;
  const context = isolate.createContextSync();
  // A context holds its context and its global object.
  assert.equal(isolate.referenceCount, base + 2);
  const script = isolate.compileScriptSync('1');
  assert.equal(isolate.referenceCount, base + 3);
  script.release();
  assert.equal(isolate.referenceCount, base + 2);
  context.release();
  context.global;
  assert.equal(isolate.referenceCount, base);
  isolate.dispose();
});

test('dispose() twice fails; calls after dispose fail with the original messages', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync('1');
  isolate.dispose();
  assert.equal(isolate.isDisposed, true);
  assert.throws(() => isolate.dispose(), { name: 'Error', message: 'Isolate is already disposed' });
  // isolated-vm's synchronous path says "Isolated" (sic).
  assert.throws(() => context.evalSync('1'), { message: 'Isolated is disposed' });
  assert.throws(() => isolate.createContextSync(), { message: 'Isolated is disposed' });
  assert.throws(() => script.runSync(context), { message: 'Isolated is disposed' });
  await assert.rejects(context.eval('1'), { message: 'Isolate is disposed' });
  await assert.rejects(isolate.createContext(), { message: 'Isolate is disposed' });
  await assert.rejects(isolate.compileScript('1'), { message: 'Isolate is disposed' });
  assert.throws(() => isolate.cpuTime, { message: 'Isolate is disposed' });
  assert.throws(() => isolate.wallTime, { message: 'Isolate is disposed' });
  assert.throws(() => isolate.referenceCount, { message: 'Isolate is disposed' });
});

test('after dispose(), calls check their arguments first, as in the original; getters that need no isolate still answer', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync('1');
  const module = isolate.compileModuleSync('import "./a.js"; export default 1');
  const fn = context.evalSync('(function f() {})', { reference: true });
  const global = context.global;
  const early = context.evalSync('({})', { reference: true });
  early.release();
  isolate.dispose();
  const typeError = (message) => ({ name: 'TypeError', message });
  assert.throws(() => context.evalSync(), typeError('`evalSync` requires at least 1 parameter'));
  assert.throws(() => context.eval(1), typeError('`eval` requires parameter 1 to be a string'));
  assert.throws(() => context.evalIgnored('1', { timeout: 'no' }), typeError('`timeout` must be a 32-bit number'));
  assert.throws(() => context.evalClosureSync('1', {}), typeError('`evalClosureSync` requires parameter 2 to be an array'));
  assert.throws(() => isolate.compileScriptSync(), typeError('`compileScriptSync` requires at least 1 parameter'));
  assert.throws(() => isolate.createContext(1), typeError('`createContext` requires parameter 1 to be an object'));
  assert.throws(() => isolate.startCpuProfiler(), typeError('`startCpuProfiler` requires at least 1 parameter'));
  assert.throws(() => script.run('x'), typeError('`run` requires parameter 1 to be a Context'));
  assert.throws(() => module.instantiateSync(), typeError('`instantiateSync` requires at least 2 parameters'));
  assert.throws(() => fn.apply(undefined, {}), typeError('`apply` requires parameter 2 to be an array'));
  assert.throws(() => global.setSync('x', {}), typeError('A non-transferable value was passed'));
  assert.throws(() => fn.deref(), typeError('Cannot dereference this from current isolate'));
  // With good arguments, including the isolate's own objects, they fail as disposed.
  assert.throws(() => script.runSync(context), { name: 'Error', message: 'Isolated is disposed' });
  await assert.rejects(script.run(context), { name: 'Error', message: 'Isolate is disposed' });
  assert.throws(() => module.instantiateSync(context, () => module), { name: 'Error', message: 'Isolated is disposed' });
  assert.throws(() => fn.applySync(undefined, [global]), { name: 'Error', message: 'Isolated is disposed' });
  assert.equal(fn.applyIgnored(undefined, [global]), undefined);
  // What was known without the isolate is still known.
  assert.equal(context.global, global);
  assert.deepEqual(module.dependencySpecifiers, ['./a.js']);
  assert.notEqual(module.dependencySpecifiers, module.dependencySpecifiers);
  assert.equal(fn.typeof, 'function');
  assert.throws(() => module.namespace, { name: 'Error', message: 'Module has not been instantiated.' });
  // And what was released, before or after dispose(), says so.
  const released = (message) => ({ name: 'Error', message });
  assert.throws(() => early.typeof, released('Reference has been released'));
  assert.throws(() => early.getSync('x'), released('Reference has been released'));
  assert.equal(context.release(), true);
  assert.equal(context.global, undefined);
  assert.throws(() => context.evalSync('1'), released('Context is released'));
  assert.throws(() => global.derefInto(), released('Reference has been released'));
  script.release();
  assert.throws(() => script.runSync(context), released('Script has been released'));
  fn.release();
  assert.throws(() => fn.typeof, released('Reference has been released'));
});

test('after dispose(), ignored calls are dropped and objects can still be released', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const script = isolate.compileScriptSync('1');
  const fn = context.evalSync('(function f() {})', { reference: true });
  isolate.dispose();
  assert.equal(context.evalIgnored('1'), undefined);
  assert.equal(fn.applyIgnored(undefined, []), undefined);
  assert.equal(script.release(), undefined);
  assert.equal(fn.release(), undefined);
  assert.throws(() => fn.release(), { name: 'Error', message: 'Reference has been released' });
  assert.equal(context.release(), true);
  assert.equal(context.release(), false);
});

test('work queued before dispose() that runs no code completes, as in the original', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const pending = [isolate.createContext(), isolate.compileScript('1'), isolate.compileModule('export default 1'), isolate.getHeapStatistics(), context.global.set('x', 1)];
  isolate.dispose();
  const [created, script, module, statistics, set] = await Promise.all(pending);
  assert.ok(created instanceof ivm.Context);
  assert.ok(script instanceof ivm.Script);
  assert.ok(module instanceof ivm.Module);
  assert.equal(typeof statistics.total_heap_size, 'number');
  assert.equal(set, undefined);
  // What was made is of a disposed isolate.
  assert.throws(() => created.evalSync('1'), { message: 'Isolated is disposed' });
  await assert.rejects(created.eval('1'), { message: 'Isolate is disposed' });
  assert.throws(() => script.runSync(created), { message: 'Isolated is disposed' });
});

// Keeps every pool thread of the process holding `context`'s isolate busy for a while, so that
// work queued meanwhile on that isolate cannot start before the test disposes it. Gives what
// waits for them to end.
function occupyPool(context) {
  const count = Math.max(2, require('node:os').availableParallelism());
  const busy = 'const end = Date.now() + 500; while (Date.now() < end);';
  if (runtime.outOfProcess) {
    // The pool is the child's: its guest makes the busy isolates there (the child ends with them).
    context.global.setSync('ivm', ivm);
    context.evalClosureSync('for (let i = 0; i < $0; i++) new ivm.Isolate().createContextSync().evalIgnored($1);', [count, busy]);
    return async () => {};
  }
  const isolates = Array.from({ length: count }, () => new ivm.Isolate());
  const running = isolates.map((isolate) => isolate.createContextSync().eval(busy));
  return () => Promise.all(running).finally(() => isolates.forEach((isolate) => isolate.dispose()));
}

test('queued before dispose(), the first call that would run code fails "during execution", those after it "is disposed", in order', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const released = occupyPool(context);
  const outcomes = [];
  const record = (name, promise) => promise.then((value) => outcomes.push(`${name}: ${value?.constructor.name}`), (error) => outcomes.push(`${name}: ${error.message}`));
  const settled = Promise.all([
    record('createContext', isolate.createContext()),
    record('eval', context.eval('1')),
    record('compileScript', isolate.compileScript('2')),
    record('evalClosure', context.evalClosure('return 3', [])),
  ]);
  isolate.dispose();
  await settled;
  assert.deepEqual(outcomes, [
    'createContext: Context',
    'eval: Isolate was disposed during execution',
    'compileScript: Isolate is disposed',
    'evalClosure: Isolate is disposed',
  ]);
  await released();
});

test('the error of code stopped by dispose() shows where it crossed; one never started does not', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const released = occupyPool(context);
  const first = context.eval('1').catch((error) => error);
  const second = context.eval('2').catch((error) => error);
  isolate.dispose();
  const [stopped, refused] = [await first, await second];
  assert.deepEqual(stopped.stack.split('\n').slice(0, 2), ['Error: Isolate was disposed during execution', '    at (<isolated-vm boundary>)']);
  assert.equal(refused.stack.split('\n')[0], 'Error: Isolate is disposed');
  assert.ok(!refused.stack.includes('<isolated-vm boundary>'));
  await released();
});

test('compileScript validates its arguments', async () => {
  const isolate = new ivm.Isolate();
  assert.throws(() => isolate.compileScriptSync(), { name: 'TypeError', message: '`compileScriptSync` requires at least 1 parameter' });
  assert.throws(() => isolate.compileScriptSync(1), { name: 'TypeError', message: '`compileScriptSync` requires parameter 1 to be a string' });
  assert.throws(() => isolate.compileScriptSync('1', 1), { name: 'TypeError', message: '`compileScriptSync` requires parameter 2 to be an object' });
  assert.throws(() => isolate.compileScriptSync('1', { filename: 1 }), { name: 'TypeError', message: '`filename` must be a string' });
  assert.throws(() => isolate.compileScript(1), { name: 'TypeError', message: '`compileScript` requires parameter 1 to be a string' });
  assert.throws(() => ivm.Isolate.prototype.compileScriptSync.call({}, '1'), { name: 'TypeError', message: 'Illegal invocation' });
  assert.throws(() => isolate.createContextSync({ inspector: true }), { message: 'Inspector is not enabled for this isolate' });
  await assert.rejects(isolate.createContext({ inspector: true }), { message: 'Inspector is not enabled for this isolate' });
  isolate.dispose();
});

test('compile errors carry the location, as isolated-vm annotates them', async () => {
  const isolate = new ivm.Isolate();
  assert.throws(() => isolate.compileScriptSync('let x = ;'), { name: 'SyntaxError', message: "Unexpected token ';' [<isolated-vm>:1:9]" });
  assert.throws(() => isolate.compileScriptSync('\n  (', { filename: 'file:///lib.js' }), { name: 'SyntaxError', message: 'Unexpected end of input [file:///lib.js:2:4]' });
  await assert.rejects(isolate.compileScript('}'), { name: 'SyntaxError', message: "Unexpected token '}' [<isolated-vm>:1:1]" });
  isolate.dispose();
});
