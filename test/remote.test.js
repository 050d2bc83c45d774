'use strict';
// Out-of-process isolates (lib/remote/): the isolate lives in a child process, and nothing the
// guest does to that process can take this one down. The API's suites also run with every
// isolate out of process (scripts/test.js); this file tests what only this mode has.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile, spawnSync } = require('node:child_process');
const { promisify } = require('node:util');

const ivm = require('..');
const runtime = require('./support/runtime');
const { isolateChildren: children, cpuTicks, ended, startIsolate } = require('./support/processes');

const run = promisify(execFile);
const hasThem = runtime.name !== 'bun';
const onNode = runtime.skipUnless(hasThem, 'out-of-process isolates need Node.js or Deno');
const linuxOnNode = runtime.skipUnless(hasThem && process.platform === 'linux', 'out-of-process isolates need Node.js or Deno; reads /proc');
// (Deno panics at a refused call of its own, which ends the process before it can tell what it
// could not do: the filter's test runs on Node.)
const filtered = runtime.skipUnless(runtime.name === 'node' && process.platform === 'linux' && process.arch === 'x64', 'the filter is for the child, Node.js on Linux on x86_64 (Deno panics at a refused call, which ends the test\'s process)');
// Whether this user can make a user and mount namespace of its own (and has a zone file to use).
const canUnshare = process.platform === 'linux' && fs.existsSync('/usr/share/zoneinfo/Asia/Tokyo') && spawnSync('unshare', ['-rm', 'true']).status === 0;
const MEMORY_LIMIT = 'Isolate was disposed during execution due to memory limit';

const start = (options) => startIsolate(ivm, options);

// The pid of the child of `context`'s isolate, told from the others by making it busy: it runs an
// endless loop (an ignored call, so the child still serves calls) and uses the most CPU time.
async function busyChild(context) {
  const pids = children();
  // Children busy already (those of a test that failed before its dispose()) are not it.
  const growth = async () => {
    const before = pids.map(cpuTicks);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return pids.map((pid, i) => cpuTicks(pid) - before[i]);
  };
  const idle = (await growth()).map((ticks) => ticks < 20);
  context.evalIgnored('for (;;) {}');
  const grown = (await growth()).map((ticks, i) => (idle[i] ? ticks : -1));
  return pids[grown.indexOf(Math.max(...grown))];
}

test('a new isolate starts in a child started ahead, which V8 has warmed up', linuxOnNode, async () => {
  const first = new ivm.Isolate({ outOfProcess: true });
  // The spare starts once the creating call is over, and warms up on its own.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const spare = Math.max(...children());
  const { isolate, pid } = start();
  assert.equal(pid, spare);
  assert.equal(isolate.createContextSync().evalSync('1 + 1'), 2);
  isolate.dispose();
  first.dispose();
});

test('an out-of-process isolate runs code in a child process of its own', onNode, async () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  assert.ok(isolate instanceof ivm.Isolate);
  const context = isolate.createContextSync();
  assert.ok(context instanceof ivm.Context);
  assert.equal(context.evalSync('1 + 1'), 2);
  assert.equal(await context.eval('6 * 7'), 42);
  assert.equal(context.evalSync('typeof require'), 'undefined');
  assert.deepEqual(context.evalSync('({ a: [1, "two", null] })', { copy: true }), { a: [1, 'two', null] });
  isolate.dispose();
  assert.equal(isolate.isDisposed, true);
  // The wording of one process: "Isolated" (sic) for synchronous calls.
  assert.throws(() => context.evalSync('1'), { name: 'Error', message: 'Isolated is disposed' });
  await assert.rejects(context.eval('1'), { name: 'Error', message: 'Isolate is disposed' });
  assert.throws(() => isolate.dispose(), { name: 'Error', message: 'Isolate is already disposed' });
});

test('dispose() ends the child, even while its code runs', linuxOnNode, async () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const pid = await busyChild(isolate.createContextSync());
  isolate.dispose();
  assert.equal(await ended(pid), true);
});

// What the calls pending on `isolate` when it is disposed give: some run no code (they
// complete), one runs code (stopped) and one is queued behind it (refused).
async function disposedWithPending(isolate) {
  const context = isolate.createContextSync();
  const settle = (promise) => promise.then((value) => value.constructor.name, (error) => error.message);
  const pending = [isolate.createContext(), isolate.compileScript('1'), isolate.getHeapStatistics(), context.eval('for (;;) {}'), context.eval('1')].map(settle);
  isolate.dispose();
  return Promise.all(pending);
}

test('dispose() with calls pending: they settle as in one process, then the child ends, and onCatastrophicError is not told', linuxOnNode, async () => {
  const told = [];
  const { isolate, pid } = start({ onCatastrophicError: (message) => told.push(message) });
  const outcomes = await disposedWithPending(isolate);
  assert.deepEqual(outcomes, await disposedWithPending(new ivm.Isolate({ outOfProcess: false })));
  assert.deepEqual(outcomes, ['Context', 'Script', 'Object', 'Isolate was disposed during execution', 'Isolate is disposed']);
  assert.equal(await ended(pid), true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, []);
});

test('dispose() from a host function called by the guest during a synchronous call stops the call, then ends the child', linuxOnNode, async () => {
  const { isolate, pid } = start();
  const context = isolate.createContextSync();
  context.global.setSync('disposeMe', () => isolate.dispose());
  assert.throws(() => context.evalSync('disposeMe(); for (;;) {}'), { name: 'Error', message: 'Isolate was disposed during execution' });
  assert.equal(isolate.isDisposed, true);
  assert.equal(await ended(pid), true);
});

test('a child that does not answer after dispose() is ended all the same, and what was pending fails', linuxOnNode, async () => {
  const told = [];
  const { isolate, pid } = start({ onCatastrophicError: (message) => told.push(message) });
  const pending = isolate.createContextSync().eval('for (;;) {}');
  // Stopped, the child reads nothing: it can neither dispose its isolate nor answer.
  process.kill(pid, 'SIGSTOP');
  isolate.dispose();
  await assert.rejects(pending, { name: 'Error', message: 'Isolate was disposed during execution' });
  assert.equal(await ended(pid), true);
  assert.deepEqual(told, []);
});

test('a child that does not answer after dispose() from inside a synchronous call is ended all the same, and the call fails', linuxOnNode, async () => {
  const told = [];
  const { isolate, pid } = start({ onCatastrophicError: (message) => told.push(message) });
  const context = isolate.createContextSync();
  context.global.setSync('stopAndDispose', () => {
    process.kill(pid, 'SIGSTOP');
    isolate.dispose();
  });
  // Waits for the child's answer as long as dispose() gives it (10 s), not for ever.
  assert.throws(() => context.evalSync('stopAndDispose(); 1'), { name: 'Error', message: 'Isolate was disposed during execution' });
  assert.equal(isolate.isDisposed, true);
  assert.equal(await ended(pid), true);
  assert.deepEqual(told, []);
});

test('the child holds only what it needs: an empty environment and no inherited descriptors but its channel', linuxOnNode, async () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const pid = await busyChild(isolate.createContextSync());
  // (Deno's own: which descriptor is the channel, and its cache, in memory.)
  assert.equal(fs.readFileSync(`/proc/${pid}/environ`, 'utf8'), runtime.name === 'deno' ? 'DENO_DIR=/dev/null\0DENO_EXTRA_STDIO_FDS=3\0' : '');
  const descriptors = fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  // stdin and stdout are /dev/null, stderr and fd 3 (the channel) sockets to this process; the
  // rest are the runtime's own (its event loop, V8's platform), opened by the child itself.
  assert.deepEqual(descriptors.slice(0, 4), [0, 1, 2, 3]);
  assert.equal(fs.readlinkSync(`/proc/${pid}/fd/0`), '/dev/null');
  assert.match(fs.readlinkSync(`/proc/${pid}/fd/3`), /^socket:/);
  for (const fd of descriptors.slice(4)) {
    assert.doesNotMatch(fs.readlinkSync(`/proc/${pid}/fd/${fd}`), /^\/(?!dev\/null)/, `fd ${fd} is a file`);
  }
  isolate.dispose();
});

test('the child holds no io_uring, whose operations no system-call filter sees (libuv of Node 22 and later sets one up at start: the child starts again without)', linuxOnNode, async () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const pid = await busyChild(isolate.createContextSync());
  const targets = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
  // Kept across a restart: the channel.
  assert.match(fs.readlinkSync(`/proc/${pid}/fd/3`), /^socket:/);
  assert.ok(!targets.includes('anon_inode:[io_uring]'), targets.join(', '));
  isolate.dispose();
});

// The lines test/fixtures/sandboxed.js prints: it installs the child's filter in a process of its
// own, then tries what broken-out code would, and what the child must still do. Run once.
let sandboxedRun;
function sandboxed() {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'sandboxed.js'), [String(process.pid)]);
  sandboxedRun ??= run(command, args, { timeout: 60_000 }).then(({ stdout }) => stdout.trim().split('\n'));
  return sandboxedRun;
}

test('the child cannot open a file, make a socket, start a program or signal another process, even through Node\'s own native paths, and still runs threads', filtered, async () => {
  const [allowed, ...outcomes] = await sandboxed();
  const names = allowed.replace(/^allowed: /, '').split(' ');
  assert.ok(names.includes('clone') && names.includes('futex'), allowed);
  for (const refused of ['open', 'openat', 'openat2', 'creat', 'socket', 'connect', 'execve', 'fork', 'clone3', 'kill', 'ptrace', 'io_uring_enter', 'newfstatat', 'statx']) {
    assert.ok(!names.includes(refused), `${refused} is allowed`);
  }
  assert.deepEqual(outcomes, [
    'read a file: EPERM',
    'create a file: EPERM',
    'start a program: EPERM',
    'make a socket: EPERM',
    'look up a file: EPERM',
    'signal another process: EPERM',
    'compute: allowed',
    'hash on a pool thread: allowed',
    'run an isolate\'s async call: allowed',
  ]);
});

test('README.md names every call the child\'s filter allows', filtered, async () => {
  const [allowed] = await sandboxed();
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  // The sentence that lists them, from "It allows:" to the next full stop.
  const sentence = readme.slice(readme.indexOf('It allows:')).split('. ')[0];
  const listed = [...sentence.matchAll(/`([a-z0-9_]+)`/g)].map((match) => match[1]);
  assert.deepEqual(listed.sort(), allowed.replace(/^allowed: /, '').split(' ').sort());
});

test('a fatal V8 error in the guest ends its child only: no onCatastrophicError needed', linuxOnNode, async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 32, outOfProcess: true });
  const context = isolate.createContextSync();
  assert.equal(context.evalSync('"before"'), 'before');
  // One builtin allocating far past the limit at once: this aborts an in-process isolate's
  // whole process (without onCatastrophicError).
  assert.throws(() => context.evalSync('new Array(2 ** 26).fill(1.5); 1'), { name: 'Error', message: MEMORY_LIMIT });
  assert.equal(isolate.isDisposed, true);
  assert.throws(() => context.evalSync('1'), { name: 'Error', message: 'Isolated is disposed' });
  const fresh = new ivm.Isolate({ outOfProcess: true });
  assert.equal(fresh.createContextSync().evalSync('6 * 7'), 42);
  fresh.dispose();
});

test('the death of the child fails pending calls, tells onCatastrophicError and disposes the isolate', linuxOnNode, async () => {
  const told = [];
  const isolate = new ivm.Isolate({ outOfProcess: true, onCatastrophicError: (message) => told.push(message) });
  const context = isolate.createContextSync();
  const pid = await busyChild(context);
  // Queued behind the endless loop: it cannot have finished.
  const pending = context.eval('1');
  process.kill(pid, 'SIGKILL');
  await assert.rejects(pending, { name: 'Error', message: 'Isolate was disposed during execution due to a catastrophic error in its process' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, ["Catastrophic error: the isolate's process ended"]);
  assert.equal(isolate.isDisposed, true);
  // Later calls answer as those of an in-process isolate given up after a fatal error (one
  // disposed): arguments checked first, release() allowed.
  const later = await afterDeath(isolate, context);
  const inProcess = new ivm.Isolate({ outOfProcess: false });
  const inProcessContext = inProcess.createContextSync();
  inProcess.dispose();
  assert.deepEqual(later, await afterDeath(inProcess, inProcessContext));
  assert.deepEqual(later, [
    'throw Isolated is disposed',
    'reject Isolate is disposed',
    'throw `evalSync` requires parameter 1 to be a string',
    'throw `eval` requires parameter 1 to be a string',
    'throw Isolated is disposed',
    'throw `compileScript` requires parameter 1 to be a string',
    'return true',
    'throw Context is released',
  ]);
  assert.equal(await ended(pid), true);
});

// What calls on `isolate` and `context`, gone, give.
async function afterDeath(isolate, context) {
  const calls = [() => context.evalSync('1'), () => context.eval('1'), () => context.evalSync(1), () => context.eval(1), () => isolate.compileScriptSync('1'), () => isolate.compileScript(2), () => context.release(), () => context.evalSync('1')];
  const outcomes = [];
  for (const made of calls) {
    try {
      const result = made();
      outcomes.push(result instanceof Promise ? await result.then((value) => `resolve ${value}`, (error) => `reject ${error.message}`) : `return ${result}`);
    } catch (error) {
      outcomes.push(`throw ${error.message}`);
    }
  }
  return outcomes;
}

// --- Inspector sessions of a child that died ------------------------------------------------

// The isolate of `start(options)` with a session whose onNotification resolves `paused` at the
// first Debugger.paused, the debugger enabled.
function startPausable() {
  const { isolate, pid } = start({ inspector: true });
  const session = isolate.createInspectorSession();
  const paused = new Promise((resolve) => {
    session.onNotification = (message) => JSON.parse(message).method === 'Debugger.paused' && resolve();
  });
  session.dispatchProtocolMessage(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
  return { isolate, pid, session, paused };
}

// Every use of a session of a dead child fails at once, as for a session of a disposed isolate.
function assertDead(isolate, session) {
  for (const use of [() => session.dispatchProtocolMessage('{}'), () => session.onResponse, () => { session.onNotification = () => {}; }, () => session.dispose()]) {
    assert.throws(use, { name: 'Error', message: 'Session is dead' });
  }
  assert.throws(() => isolate.createInspectorSession(), { name: 'Error', message: 'Isolate is diposed' });
}

test('when the child dies during an async run paused in the debugger, the run fails and its sessions are dead', linuxOnNode, async () => {
  const { isolate, pid, session, paused } = startPausable();
  const running = isolate.createContextSync({ inspector: true }).eval('debugger; 1');
  await paused;
  process.kill(pid, 'SIGKILL');
  await assert.rejects(running, { name: 'Error', message: 'Isolate was disposed during execution due to a catastrophic error in its process' });
  assertDead(isolate, session);
  assert.equal(await ended(pid), true);
});

test('when the child dies during a sync run paused in the debugger, the run fails at once and its sessions are dead', linuxOnNode, async () => {
  const { isolate, pid, session } = startPausable();
  // Told while the sync run waits for the child, which is paused; the dispatch is still to be
  // answered when the child dies, which is no error of its own.
  session.onNotification = (message) => {
    if (JSON.parse(message).method === 'Debugger.paused') {
      session.dispatchProtocolMessage(JSON.stringify({ id: 2, method: 'Runtime.evaluate', params: { expression: '1' } }));
      process.kill(pid, 'SIGKILL');
    }
  };
  const context = isolate.createContextSync({ inspector: true });
  assert.throws(() => context.evalSync('debugger; 1'), { name: 'Error', message: 'Isolate was disposed during execution due to a catastrophic error in its process' });
  assertDead(isolate, session);
  assert.equal(await ended(pid), true);
});

test('an out-of-memory death is reported as the memory limit, and onCatastrophicError is told so', onNode, async () => {
  const told = [];
  const isolate = new ivm.Isolate({ memoryLimit: 32, outOfProcess: true, onCatastrophicError: (message) => told.push(message) });
  const context = isolate.createContextSync();
  await assert.rejects(context.eval('new Array(2 ** 26).fill(1.5)'), { name: 'Error', message: MEMORY_LIMIT });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(told, ['Catastrophic out-of-memory error']);
});

test('calls nest both ways: the guest calls the host, which calls the guest again', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const order = [];
  context.global.setSync('host', (n) => {
    order.push(`host ${n}`);
    return n === 0 ? 'bottom' : context.evalSync(`guest(${n - 1})`);
  });
  context.evalSync('globalThis.guest = (n) => { log.push("guest " + n); return host(n); }; globalThis.log = []');
  assert.equal(context.evalSync('guest(2)'), 'bottom');
  assert.deepEqual(context.evalSync('log', { copy: true }), ['guest 2', 'guest 1', 'guest 0']);
  assert.deepEqual(order, ['host 2', 'host 1', 'host 0']);
  isolate.dispose();
});

test('calls nest 48 deep through the channel, then fail with the RangeError of a stack overflow, however much stack the host used; the isolate goes on', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  let deepest = 0;
  context.global.setSync('bounce', (n) => {
    deepest = Math.max(deepest, n);
    return context.evalSync(`h(${n + 1})`);
  });
  context.evalSync('function h(n) { return bounce(n); }');
  // The host's own frames before the call (`pad`) do not change where the nesting stops.
  const pad = (frames, call) => (frames === 0 ? call() : pad(frames - 1, call) + 0);
  for (const frames of [0, 1000, 3000]) {
    deepest = 0;
    assert.throws(() => pad(frames, () => context.evalSync('h(0)')), { name: 'RangeError', message: 'Maximum call stack size exceeded' });
    assert.equal(deepest, 47, `after ${frames} frames`);
  }
  assert.equal(context.evalSync('6 * 7'), 42);
  isolate.dispose();
});

test('wherever a stack overflows between nested calls, on either side, the call fails with the RangeError and the isolate goes on', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  // Each level: `hostFrames` of the host's own, then the guest's `guestFrames`, then the next
  // level. Overflows land at every point of the channel's code as the sizes vary; any message
  // lost to one left both sides waiting for ever.
  let hostFrames = 0;
  let deepest = 0;
  const pad = (frames, call) => (frames === 0 ? call() : pad(frames - 1, call) + 0);
  const bounce = (n, guestFrames) => {
    deepest = Math.max(deepest, n);
    return pad(hostFrames, () => context.evalClosureSync('return h($0, $1)', [n + 1, guestFrames]));
  };
  context.global.setSync('bounce', new ivm.Reference(bounce));
  context.evalSync('function pad(k, f) { return k === 0 ? f() : pad(k - 1, f) + 0; } function h(n, k) { return pad(k, () => bounce.applySync(undefined, [n, k])); }');
  const overflow = (guestFrames) => assert.throws(() => context.evalSync(`h(0, ${guestFrames})`), { name: 'RangeError', message: 'Maximum call stack size exceeded' });
  let runs = 0;
  for (hostFrames = 0; hostFrames < 2500; hostFrames += 31) {
    for (const guestFrames of [0, 7, 60, 300]) {
      overflow(guestFrames);
      runs++;
    }
  }
  assert.equal(runs, 324);
  // The guest's frames share the child's main thread with the channel's code, which has more
  // stack than the guest may use: 3000 frames a level, the guest's own V8 ends the nesting, long
  // before the channel's limit of 48.
  hostFrames = 0;
  deepest = 0;
  overflow(3000);
  assert.ok(deepest >= 1 && deepest < 47, `${deepest} levels of 3000 frames`);
  assert.equal(context.evalSync('6 * 7'), 42);
  isolate.dispose();
});

test('the guest\'s dates are in the host\'s time zone, which the child cannot read for itself', runtime.skipUnless(runtime.name === 'node', 'the probe runs with node -e'), async () => {
  const probe = `const ivm = require(${JSON.stringify(path.join(__dirname, '..'))});
    const zone = (outOfProcess) => new ivm.Isolate({ outOfProcess }).createContextSync().evalSync('new Date(0).getTimezoneOffset() + " " + Intl.DateTimeFormat().resolvedOptions().timeZone');
    console.log(JSON.stringify([zone(false), zone(true)]));`;
  const { stdout } = await run(process.execPath, ['-e', probe], { env: { ...process.env, TZ: 'America/New_York' }, timeout: 60_000 });
  assert.deepEqual(JSON.parse(stdout), ['300 America/New_York', '300 America/New_York']);
  // Without TZ, the zone /etc/localtime names.
  const { TZ, ...noZone } = process.env;
  const [here, there] = JSON.parse((await run(process.execPath, ['-e', probe], { env: noZone, timeout: 60_000 })).stdout);
  assert.equal(there, here);
  // And where /etc/localtime is a copy of a zone's file, not a link (here in a mount namespace
  // of this user's own, where /etc is a new, empty file system).
  if (canUnshare) {
    const zoneFile = '/usr/share/zoneinfo/Asia/Tokyo';
    const script = `mount -t tmpfs none /etc && cp ${zoneFile} /etc/localtime && exec "$0" -e "$1"`;
    const { stdout: copied } = await run('unshare', ['-rm', 'sh', '-c', script, process.execPath, probe], { env: noZone, timeout: 60_000 });
    assert.deepEqual(JSON.parse(copied), ['-540 Asia/Tokyo', '-540 Asia/Tokyo']);
  } else {
    test.diagnostic('not tried with /etc/localtime a file: this machine cannot make a mount namespace (unshare -rm)');
  }
});

test('References, Callbacks, ExternalCopies and promises cross both ways', onNode, async () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const fn = context.evalSync('(function double(a) { return a * 2 })', { reference: true });
  assert.equal(fn.typeof, 'function');
  assert.equal(fn.applySync(undefined, [21]), 42);
  assert.equal(await fn.apply(undefined, [4]), 8);
  context.global.setSync('next', new ivm.Callback((x) => x + 1));
  assert.equal(context.evalSync('next(1)'), 2);
  const later = new ivm.Reference((x) => Promise.resolve(x * 3));
  assert.equal(await context.evalClosure('return $0.apply(undefined, [2], { result: { promise: true } })', [later], { result: { promise: true } }), 6);
  const copy = new ivm.ExternalCopy({ list: [1, 2, 3] });
  context.global.setSync('copied', copy.copyInto());
  assert.deepEqual(context.evalSync('copied', { copy: true }), { list: [1, 2, 3] });
  const out = context.evalSync('({ big: "x".repeat(10) })', { externalCopy: true });
  assert.ok(out instanceof ivm.ExternalCopy);
  assert.deepEqual(out.copy(), { big: 'xxxxxxxxxx' });
  // The same object of the guest stands for itself each time it crosses.
  assert.equal(context.global, context.global);
  isolate.dispose();
});

test('copies hold objects of out-of-process isolates: they arrive as themselves in Node and as working objects in any isolate', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const copy = new ivm.ExternalCopy({ isolate, context, global: context.global, n: 1 });
  const back = copy.copy();
  assert.deepEqual([back.isolate === isolate, back.context === context, back.global === context.global, back.n], [true, true, true, 1]);
  const use = 'data.context.evalSync("6 * 7") + data.global.typeof + (data.isolate instanceof ivm.Isolate)';
  const localIsolate = new ivm.Isolate();
  const otherIsolate = new ivm.Isolate({ outOfProcess: true });
  for (const receiver of [localIsolate.createContextSync(), context, otherIsolate.createContextSync()]) {
    receiver.global.setSync('ivm', ivm);
    receiver.global.setSync('data', copy.copyInto());
    assert.equal(receiver.evalSync(use), '42objecttrue');
    receiver.global.setSync('data', { isolate, context, global: context.global }, { copy: true });
    assert.equal(receiver.evalSync(use), '42objecttrue');
  }
  // An inspector session is not copied, as in one process.
  const inspected = new ivm.Isolate({ outOfProcess: true, inspector: true });
  const session = inspected.createInspectorSession();
  assert.throws(() => new ivm.ExternalCopy({ session }), { name: 'TypeError', message: 'A non-transferable value was passed' });
  session.dispose();
  inspected.dispose();
  for (const each of [isolate, localIsolate, otherIsolate]) {
    each.dispose();
  }
});

test('what cannot be given to or from an out-of-process isolate fails with a clear error', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const local = new ivm.Isolate({ outOfProcess: false });
  const localContext = local.createContextSync();
  const other = new ivm.Isolate({ outOfProcess: true });
  const otherContext = other.createContextSync();
  // A promise stays in its process.
  const noPromise = { name: 'TypeError', message: 'A promise cannot be given to an isolate of another process' };
  localContext.global.setSync('remote', context);
  assert.throws(() => localContext.evalSync('remote.global.setSync("x", Promise.resolve(), { promise: true })'), noPromise);
  context.global.setSync('local', localContext);
  assert.throws(() => context.evalSync('local.evalClosureSync("return 1", [Promise.resolve()], { arguments: { promise: true } })'), noPromise);
  // An inspector session is not given anywhere, as in one process.
  const inspected = new ivm.Isolate({ outOfProcess: true, inspector: true });
  const session = inspected.createInspectorSession();
  for (const receiver of [localContext, context]) {
    assert.throws(() => receiver.global.setSync('session', session), { name: 'TypeError', message: 'A non-transferable value was passed' });
  }
  session.dispose();
  inspected.dispose();
  // What derefInto() gave here is the value only in its own isolate.
  assert.throws(() => context.global.setSync('x', new ivm.Reference({}).derefInto()), { name: 'TypeError', message: 'Cannot dereference this into target isolate' });
  // Other values that cannot be given keep their message.
  assert.throws(() => localContext.global.setSync('x', {}), { name: 'TypeError', message: 'A non-transferable value was passed' });
  for (const each of [isolate, local, other]) {
    each.dispose();
  }
});

// What isolate code does with an isolate given to it, and what that gives (run with the isolate
// in process, then out of process: the results must be the same).
const GIVEN_ISOLATE_CASES = {
  basic: `{ const c = target.createContextSync(); c.evalSync('1+1') }`,
  instanceOf: `{ [target instanceof ivm.Isolate, target.createContextSync() instanceof ivm.Context, Object.isFrozen(target)] }`,
  copyResult: `{ target.createContextSync().evalSync('({a:[1,2]})', {copy: true}) }`,
  extCopy: `{ const e = target.createContextSync().evalSync('({a:1})', {externalCopy: true}); [e instanceof ivm.ExternalCopy, e.copy().a] }`,
  refResult: `{ const r = target.createContextSync().evalSync('({a:1})', {reference: true}); [r.typeof, r.getSync('a'), r instanceof ivm.Reference] }`,
  noTransfer: `{ target.createContextSync().evalSync('({a:1})') }`,
  module: `{ const m = target.compileModuleSync('import x from "dep"; export default x + 1;'); const d = target.compileModuleSync('export default 41'); const c = target.createContextSync();
    m.instantiateSync(c, (spec, ref) => { if (!(ref instanceof ivm.Module)) throw new Error('bad ref'); return d; }); m.evaluateSync(); [m.dependencySpecifiers, m.namespace.getSync('default')] }`,
  cached: `{ const s = target.compileScriptSync('1+2', {produceCachedData: true}); const s2 = target.compileScriptSync('1+2', {cachedData: s.cachedData}); [s.cachedData instanceof ivm.ExternalCopy, s2.cachedDataRejected, s2.runSync(target.createContextSync())] }`,
  heap: `{ typeof target.getHeapStatisticsSync().total_heap_size }`,
  closureCopy: `{ target.createContextSync().evalClosureSync('return $0.a', [{a: 7}], {arguments: {copy: true}}) }`,
  referenceArguments: `{ const c = target.createContextSync(); c.global.setSync('r', { a: 8 }, { reference: true }); [c.evalClosureSync('return $0.getSync("a")', [{ a: 7 }], { arguments: { reference: true } }), c.evalSync('r.getSync("a")')] }`,
  applyRef: `{ const c = target.createContextSync(); const f = c.evalSync('(a, b) => a * b', {reference: true}); [f.applySync(undefined, [6, 7]), f.typeof] }`,
  releasedRef: `{ const c = target.createContextSync(); const r = c.global; r.release(); let m; try { r.release() } catch (e) { m = e.message } let n; try { r.getSync('x') } catch (e) { n = e.message }; [m, n] }`,
  releasedScript: `{ const s = target.compileScriptSync('1'); s.release(); s.release(); let m; try { s.runSync(target.createContextSync()) } catch (e) { m = e.message }; m }`,
  badArg: `{ let m; try { target.compileScriptSync(1) } catch (e) { m = e.message }; m }`,
  badContext: `{ let m; try { target.compileScriptSync('1').runSync({}) } catch (e) { m = e.message }; m }`,
  syntax: `{ let m; try { target.compileScriptSync('(') } catch (e) { m = e.name + ': ' + e.message }; m }`,
  timeout: `{ let m; try { target.createContextSync().evalSync('for(;;){}', {timeout: 50}) } catch (e) { m = e.message }; m }`,
  hostCallback: `{ const c = target.createContextSync(); c.global.setSync('cb', new ivm.Callback((a) => a * 3)); c.evalSync('cb(5)') }`,
  funcArg: `{ const c = target.createContextSync(); c.global.setSync('f', (a) => a + '!'); c.evalSync('f("hi")') }`,
  giveBack: `{ const c = target.createContextSync(); c.global.setSync('iso', target); 1 }`,
  derefInto: `{ const c = target.createContextSync(); const r = c.evalSync('({q: 1})', {reference: true}); c.global.setSync('o', r.derefInto()); c.evalSync('o.q') }`,
  getterRef: `{ const c = target.createContextSync(); const r = c.global.getSync('Math'); r.typeof }`,
  cpu: `{ [typeof target.cpuTime, typeof target.wallTime, typeof target.referenceCount] }`,
};
const GIVEN_ISOLATE_ASYNC_CASES = {
    evalAsync: `target.createContextSync().eval('2*21')`,
  compileAsync: `(async () => { const s = await target.compileScript('3'); return s.run(await target.createContext()); })()`,
  modAsync: `(async () => { const m = await target.compileModule('import x from "d"; export const y = x;'); const d = await target.compileModule('export default 5'); const c = await target.createContext(); await m.instantiate(c, async () => d); await m.evaluate(); return m.namespace.get('y'); })()`,
  rejectAsync: `target.createContextSync().eval('throw new TypeError("no")').catch((e) => e.name + ':' + e.message)`,
  badAsync: `target.createContextSync().global.set('k', {}).catch((e) => e.message)`,
  };

async function usedFromAnIsolate(targetOutOfProcess, hostOutOfProcess) {
  const target = new ivm.Isolate({ outOfProcess: targetOutOfProcess });
  const host = new ivm.Isolate({ outOfProcess: hostOutOfProcess });
  const context = host.createContextSync();
  context.global.setSync('target', target);
  context.global.setSync('ivm', ivm);
  const outcome = (value) => ({ value });
  const failure = (error) => ({ error: `${error.name}: ${error.message}` });
  const results = {};
  for (const [name, code] of Object.entries(GIVEN_ISOLATE_CASES)) {
    try {
      results[name] = outcome(context.evalSync(code, { copy: true }));
    } catch (error) {
      results[name] = failure(error);
    }
  }
  for (const [name, code] of Object.entries(GIVEN_ISOLATE_ASYNC_CASES)) {
    results[name] = await context.eval(code, { promise: true, copy: true }).then(outcome, failure);
  }
  results.dispose = context.evalSync('target.dispose(); [target.isDisposed, (() => { try { target.createContextSync() } catch (e) { return e.message } })()]', { copy: true });
  results.disposedInNode = target.isDisposed;
  host.dispose();
  return results;
}

test('an out-of-process isolate given to an isolate is used from it as an in-process one: the same results and errors', onNode, async () => {
  const inProcess = await usedFromAnIsolate(false, false);
  // (What the cases give, in part: they run.)
  assert.deepEqual(inProcess.module, { value: [['dep'], 42] });
  assert.deepEqual(inProcess.releasedScript, { value: 'Script has been released' });
  assert.deepEqual(inProcess.modAsync, { error: 'Error: Calling a synchronous isolated-vm function on a non-default isolate from within an asynchronous isolated-vm function is not allowed.' });
  assert.deepEqual(inProcess.dispose, [true, 'Isolated is disposed']);
  assert.deepEqual(inProcess.referenceArguments, { value: [7, 8] });
  // Given to an in-process isolate, and to another out-of-process one; an in-process isolate
  // given to an out-of-process one.
  assert.deepEqual(await usedFromAnIsolate(true, false), inProcess);
  assert.deepEqual(await usedFromAnIsolate(true, true), inProcess);
  assert.deepEqual(await usedFromAnIsolate(false, true), inProcess);
});

// An inspector session isolate code makes of an isolate given to it: what it answers.
async function sessionFromAnIsolate(targetOutOfProcess, hostOutOfProcess) {
  const target = new ivm.Isolate({ outOfProcess: targetOutOfProcess, inspector: true });
  target.createContextSync({ inspector: true });
  const host = new ivm.Isolate({ outOfProcess: hostOutOfProcess });
  const context = host.createContextSync();
  context.global.setSync('target', target);
  const answered = new Promise((resolve) => context.global.setSync('answered', new ivm.Callback(resolve)));
  const checks = context.evalSync(`
    const session = target.createInspectorSession();
    session.onResponse = (id, message) => answered([id, JSON.parse(message).result.result.value]);
    let refused;
    try { session.onNotification = 1; } catch (error) { refused = error.message; }
    session.dispatchProtocolMessage(JSON.stringify({ id: 7, method: 'Runtime.evaluate', params: { expression: '40 + 2' } }));
    [Object.isFrozen(session), typeof session.onResponse, refused]
  `, { copy: true });
  // (A message dispatched by isolate code does not keep this process alive, in one process too.)
  const alive = setInterval(() => {}, 1000);
  const response = await answered;
  clearInterval(alive);
  context.evalSync('session.dispose()');
  target.dispose();
  host.dispose();
  return { checks, response };
}

test('an isolate given to isolate code can be debugged from it: the same answers in every mode', onNode, async () => {
  const inProcess = await sessionFromAnIsolate(false, false);
  assert.deepEqual(inProcess, { checks: [true, 'function', '`onNotification` must be a function'], response: [7, 42] });
  assert.deepEqual(await sessionFromAnIsolate(true, false), inProcess);
  assert.deepEqual(await sessionFromAnIsolate(false, true), inProcess);
  assert.deepEqual(await sessionFromAnIsolate(true, true), inProcess);
});

test('used from an in-process isolate, an out-of-process isolate that runs out of memory fails the call with the memory-limit error; the caller goes on', onNode, () => {
  const target = new ivm.Isolate({ outOfProcess: true, memoryLimit: 16 });
  const host = new ivm.Isolate();
  const context = host.createContextSync();
  context.global.setSync('target', target);
  const outcome = context.evalSync(`
    const bomb = target.createContextSync();
    let message;
    try { bomb.evalSync('const kept = []; for (;;) kept.push(new Array(1e6).fill(1.5))'); } catch (error) { message = error.message; }
    [message, target.isDisposed]
  `, { copy: true });
  assert.deepEqual(outcome, [MEMORY_LIMIT, true]);
  assert.equal(context.evalSync('6 * 7'), 42);
  assert.equal(target.isDisposed, true);
  host.dispose();
});

test('a SharedArrayBuffer cannot cross a process boundary: a clear error', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  assert.throws(() => context.global.setSync('shared', new ivm.ExternalCopy(new SharedArrayBuffer(8)).copyInto()), { message: /could not be cloned/ });
  assert.equal(context.evalSync('1'), 1);
  isolate.dispose();
});

test('copies cross as their own parts, made again exactly; bad parts give a clear error', onNode, () => {
  const binding = require('../lib/binding');
  const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
  const moved = new Uint8Array([5, 6]).buffer;
  const copies = [new ivm.ExternalCopy('text'), new ivm.ExternalCopy(new Uint16Array(buffer, 2, 1)), new ivm.ExternalCopy({ m: new Map([[1, 2]]) }), new ivm.ExternalCopy({ moved }, { transferList: [moved] })];
  for (const copy of copies) {
    assert.deepEqual(binding.externalCopyImport(...binding.externalCopyExport(copy)).copy(), copy.copy());
  }
  const message = '`externalCopyImport` requires the parts `externalCopyExport` gave';
  const bad = [[7], [1, 'x'], [1, new ArrayBuffer(4), undefined, 'Uint32Array', 2, 4], [1, new ArrayBuffer(4), undefined, 'Nope', 0, 4], [1, new ArrayBuffer(4), undefined, 'Uint8Array', 2, 4], [2, new ArrayBuffer(1), [5]]];
  for (const parts of bad) {
    assert.throws(() => binding.externalCopyImport(...parts), { name: 'TypeError', message });
  }
  assert.throws(() => binding.externalCopyExport({}), { name: 'TypeError', message: 'Illegal invocation' });
  // Bytes that are not V8's format fail where an isolate reads them.
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const garbage = binding.externalCopyImport(2, new Uint8Array([1, 2, 3]).buffer, []);
  assert.throws(() => context.global.setSync('x', garbage.copyInto()), { message: /^Unable to deserialize cloned data/ });
  assert.equal(context.evalSync('1'), 1);
  isolate.dispose();
});

test('messages are written as JSON where JSON gives back exactly what V8\'s format would, else in V8\'s format', onNode, () => {
  const v8 = require('node:v8');
  const messages = require('../lib/remote/messages');
  const crossed = (message) => {
    const payload = Buffer.from(messages.serialize(message));
    const framed = Buffer.concat([Buffer.from('xy'), payload, Buffer.from('z')]);
    return { json: payload[0] !== 0xff, value: messages.deserialize(framed, 2, 2 + payload.length) };
  };
  const shared = { n: 1 };
  const holey = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const keyed = Object.assign([1, 2], { extra: true });
  const bare = Object.assign(Object.create(null), { a: 1 });
  const asJson = [
    [1, 7, true, { a: [1, 'two', null], b: { c: -1.5e300 } }],
    [0, 3, 2, 'eval', ['1 + 1', { timeout: 10, filename: 'a.js' }]],
    [1, 1, true, 'lone \ud800 and \u{1f600}, "quoted"\n'],
    [1, 1, true, JSON.parse('{"__proto__": 1, "2": 0, "1": 0}')],
    [1, 1, true, bare],
    [1, 1, true, 'x'.repeat(30_000)],
    [1, 1, true, undefined],
  ];
  const inV8Format = [
    [1, 1, true, -0],
    [1, 1, true, NaN],
    [1, 1, true, Infinity],
    [1, 1, true, 2n],
    [1, 1, [undefined]],
    [1, 1, true, holey],
    [1, 1, true, keyed],
    [1, 1, true, new Date(0)],
    [1, 1, true, new Uint8Array([1, 2])],
    [1, 1, true, [shared, shared]],
    [1, 1, true, { a: { b: { c: { d: 1 } } } }],
    [1, 1, true, Array.from({ length: 40 }, (_, i) => ({ i }))],
  ];
  for (const [message, json] of [...asJson.map((each) => [each, true]), ...inV8Format.map((each) => [each, false])]) {
    const { json: wasJson, value } = crossed(message);
    assert.equal(wasJson, json, `${v8.serialize(message).toString('hex')} as JSON`);
    // Compared as node:v8 gives it back (a missing last element is undefined to a reader too).
    assert.deepStrictEqual(value.length < message.length ? [...value, undefined] : value, v8.deserialize(v8.serialize(message)));
  }
  const { value: [, , , [first, second]] } = crossed([1, 1, true, [shared, shared]]);
  assert.equal(first, second);
  assert.equal(Object.getPrototypeOf(crossed([1, 1, true, bare]).value[3]), Object.prototype);
  assert.deepStrictEqual(Object.keys(crossed(asJson[3]).value[3]), ['1', '2', '__proto__']);
  assert.equal(crossed(asJson[2]).value[3], asJson[2][3]);
});

test('values crossing leave no copies behind in ExternalCopy.totalExternalSize', onNode, () => {
  const isolate = new ivm.Isolate({ outOfProcess: true });
  const context = isolate.createContextSync();
  const before = ivm.ExternalCopy.totalExternalSize;
  assert.equal(context.evalSync('new Map([[1, "x".repeat(1000)]])', { copy: true }).get(1).length, 1000);
  context.global.setSync('m', new Map([[1, 'y'.repeat(1000)]]), { copy: true });
  assert.equal(context.evalSync('m.get(1).length'), 1000);
  assert.equal(ivm.ExternalCopy.totalExternalSize, before);
  isolate.dispose();
});

test('the child ends once the isolate and every object standing for one of its objects are collected, here or as forwarders in isolates', linuxOnNode, async () => {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'remote-dropped.js'), [], ['--expose-gc']);
  const { stdout } = await run(command, args, { timeout: 60_000 });
  assert.deepEqual(JSON.parse(stdout), { started: 1, whileReferenced: 1, x: 1, afterDropped: 0, whileAnIsolateHolds: 1, usedThere: 1, afterItsDisposal: 0 });
});

test('host functions the guest let go of are let go of by the host, and the others kept', onNode, async () => {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'remote-released.js'), [], ['--expose-gc']);
  const { stdout } = await run(command, args, { timeout: 90_000, env: { ...process.env, ISOLATED_VM_TEST_BINDINGS: '1' } });
  assert.deepEqual(JSON.parse(stdout), { finalized: 20, kept: 44 });
});

test('an out-of-process isolate does not keep the process alive, but its pending calls do', onNode, async () => {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'remote-exit.js'));
  const { stdout } = await run(command, args, { timeout: 60_000 });
  assert.equal(stdout.trim(), 'settled 7, idle false');
});

test('on Bun, asking for an out-of-process isolate is a clear error', runtime.skipUnless(runtime.name === 'bun', 'Node.js and Deno have out-of-process isolates'), () => {
  assert.throws(() => new ivm.Isolate({ outOfProcess: true }), { name: 'Error', message: 'Out-of-process isolates need Node.js or Deno' });
});
