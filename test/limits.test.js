'use strict';
// The memory limit and time accounting as isolated-vm's own documentation and its users see
// them: ArrayBuffer allocations over the limit fail with a catchable RangeError, garbage never
// counts against the limit, contexts do, and `externally_allocated_size`, `cpuTime` and
// `wallTime` count everything they should. (Allocation bombs run in child processes, in
// memory.test.js and hostile.test.js.)
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const ivm = require('..');

const MB = 1024 * 1024;
const ALLOCATION_FAILED = 'RangeError: Array buffer allocation failed';
const MEMORY_LIMIT = 'Isolate was disposed during execution due to memory limit';

test('an ArrayBuffer over the memory limit is a catchable RangeError; the isolate goes on', () => {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = isolate.createContextSync();
  assert.equal(context.evalSync('try { new ArrayBuffer(2 ** 31); "allocated" } catch (error) { `${error.name}: ${error.message}` }'), ALLOCATION_FAILED);
  assert.throws(() => context.evalSync('new ArrayBuffer(2 ** 31)'), { name: 'RangeError', message: 'Array buffer allocation failed' });
  // Code that catches the error and goes on.
  const caught = context.evalSync(`
    let made = 0;
    try {
      const keep = [];
      for (;;) {
        keep.push(new Uint8Array(${MB}));
        made++;
      }
    } catch (error) {
      \`\${error.name}: \${error.message}\`;
    }`);
  assert.equal(caught, ALLOCATION_FAILED);
  assert.ok(context.evalSync('made') >= 16, 'the isolate could use its memory before the refusal');
  assert.equal(context.evalSync('6 * 7'), 42);
  assert.equal(isolate.isDisposed, false);
  isolate.dispose();
});

test("the documentation's memory bomb ends with RangeError: Array buffer allocation failed", async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = isolate.createContextSync();
  const logged = [];
  context.global.setSync('log', (...args) => logged.push(args.join(' ')));
  const hostile = isolate.compileScriptSync(`
    const storage = [];
    const twoMegabytes = 1024 * 1024 * 2;
    while (true) {
      const array = new Uint8Array(twoMegabytes);
      for (let ii = 0; ii < twoMegabytes; ii += 4096) {
        array[ii] = 1;
      }
      storage.push(array);
      log('I\\'ve wasted '+ (storage.length * 2)+ 'MB');
    }
  `);
  await assert.rejects(hostile.run(context), (error) => {
    assert.equal(`${error.name}: ${error.message}`, ALLOCATION_FAILED);
    return true;
  });
  assert.equal(logged[0], "I've wasted 2MB");
  assert.ok(logged.length >= 8 && logged.length <= 17, `${logged.length} allocations before the refusal`);
  isolate.dispose();
});

test('garbage is collected before the memory limit decides: live memory under the limit is never stopped', () => {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = isolate.createContextSync();
  context.evalSync('globalThis.list = []; for (let i = 0; i < 4e5; i++) list.push({});');
  assert.ok(isolate.getHeapStatisticsSync().used_heap_size > 16 * MB, 'the heap is well filled');
  assert.equal(context.evalSync('list = undefined; new Uint8Array(8 * 1024 * 1024).length'), 8 * MB);
  // The same with garbage left in the heap by the code that now allocates.
  assert.equal(context.evalSync(`
    for (let round = 0; round < 4; round++) {
      let garbage = [];
      for (let i = 0; i < 3e5; i++) garbage.push({ i });
    }
    const keep = [];
    for (let i = 0; i < 3; i++) keep.push(new Uint8Array(6 * 1024 * 1024));
    keep.length`), 3);
  assert.equal(isolate.isDisposed, false);
  isolate.dispose();
});

test('contexts count against the memory limit, with sync and async creation', async () => {
  for (const create of [(isolate) => isolate.createContextSync(), (isolate) => isolate.createContext()]) {
    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    const contexts = [];
    let error;
    while (contexts.length < 5000) {
      try {
        contexts.push(await create(isolate));
      } catch (caught) {
        error = caught;
        break;
      }
    }
    assert.equal(error?.message, MEMORY_LIMIT);
    assert.ok(contexts.length > 20, `${contexts.length} contexts fitted`);
    assert.equal(isolate.isDisposed, true);
  }
});

test('externally_allocated_size counts shared memory in each isolate holding it, and long copied strings', runtime.inProcessOnly('a SharedArrayBuffer cannot be shared with another process'), () => {
  const shared = new SharedArrayBuffer(MB);
  const copy = new ivm.ExternalCopy(shared);
  const isolates = [new ivm.Isolate(), new ivm.Isolate()];
  for (const isolate of isolates) {
    const context = isolate.createContextSync();
    context.global.setSync('shared', copy.copyInto());
    context.evalSync('new Uint8Array(shared)[0]++');
    const external = isolate.getHeapStatisticsSync().externally_allocated_size;
    assert.ok(external >= MB && external < 2 * MB, `${external} bytes`);
  }
  assert.equal(new Uint8Array(shared)[0], 2);
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const before = isolate.getHeapStatisticsSync().externally_allocated_size;
  context.global.setSync('text', new ivm.ExternalCopy('x'.repeat(MB)).copyInto());
  context.global.setSync('wide', new ivm.ExternalCopy('\u{1F600}'.repeat(MB / 4)).copyInto());
  assert.equal(context.evalSync('text.length + ":" + wide.length + ":" + (text === "x".repeat(2 ** 20)) + ":" + wide.slice(0, 2)'), `${MB}:${MB / 2}:true:\u{1F600}`);
  const after = isolate.getHeapStatisticsSync().externally_allocated_size;
  assert.ok(after - before >= 2 * MB, `${after - before} bytes for the strings`);
  for (const each of [...isolates, isolate]) {
    each.dispose();
  }
});

test('cpuTime counts runs re-entered from host calls, and not the host calls; wallTime counts both', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  // Work measured in CPU time, not in wall time: the machine may be loaded.
  const WORK = '(n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; }';
  context.evalSync(`globalThis.work = ${WORK}`);
  const hostWork = (0, eval)(WORK);
  const n = 3e7;
  const cpu = () => Number(isolate.cpuTime);
  let start = cpu();
  context.evalSync(`work(${n})`);
  const once = cpu() - start;
  let hostCpu = 0;
  context.global.setSync('host', () => {
    const hostStart = process.cpuUsage();
    for (let round = 0; round < 3; round++) {
      hostWork(n);
    }
    hostCpu = process.cpuUsage(hostStart).user * 1000;
    context.evalSync(`work(${n})`);
  });
  start = cpu();
  const wallStart = Number(isolate.wallTime);
  context.evalSync(`work(${n}); host();`);
  const twice = cpu() - start;
  const wall = Number(isolate.wallTime) - wallStart;
  // The re-entered run counts (before, `twice` was about `once`); the host's work does not.
  assert.ok(twice > 1.6 * once && twice < 2.6 * once, `cpuTime ${twice} ns for two runs of ${once} ns`);
  assert.ok(wall >= twice + 0.8 * hostCpu, `wallTime ${wall} ns, cpuTime ${twice} ns, host ${hostCpu} ns`);
  isolate.dispose();
});
