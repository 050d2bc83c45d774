'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const runtime = require('./support/runtime');
const WebSocket = require('ws');
const ivm = require('..');
const { serveInspector } = require('../examples/inspector');

// A session with promise helpers: `send` resolves with the response, `next(method)` with the next
// notification of that method.
function connect(isolate) {
  const session = isolate.createInspectorSession();
  const pending = new Map();
  const waiting = [];
  const notifications = [];
  let nextId = 1;
  session.onResponse = (id, message) => {
    pending.get(id)?.(JSON.parse(message));
    pending.delete(id);
  };
  session.onNotification = (message) => {
    const notification = JSON.parse(message);
    notifications.push(notification);
    const index = waiting.findIndex((w) => w.method === notification.method);
    if (index !== -1) {
      waiting.splice(index, 1)[0].resolve(notification);
    }
  };
  return {
    session,
    notifications,
    send(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        session.dispatchProtocolMessage(JSON.stringify({ id, method, params }));
      });
    },
    next(method) {
      const seen = notifications.findIndex((n) => n.method === method && !n.taken);
      if (seen !== -1) {
        notifications[seen].taken = true;
        return Promise.resolve(notifications[seen]);
      }
      return new Promise((resolve) => waiting.push({ method, resolve: (n) => { n.taken = true; resolve(n); } }));
    },
  };
}

test('pausing on debugger statements, evaluating on the paused frame, stepping, resuming (async calls)', async () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const client = connect(isolate);
  await client.send('Debugger.enable');
  const running = context.eval('let x = 41;\ndebugger;\nx = x + 1;\nx * 2', { filename: 'file:///paused.js' });
  const paused = await client.next('Debugger.paused');
  assert.equal(paused.params.reason, 'other');
  const frame = paused.params.callFrames[0];
  assert.equal(frame.location.lineNumber, 1);
  const evaluated = await client.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'x + 1' });
  assert.deepEqual(evaluated.result.result, { type: 'number', value: 42, description: '42' });
  // Step over one line: paused again on the next one.
  await client.send('Debugger.stepOver');
  const stepped = await client.next('Debugger.paused');
  assert.equal(stepped.params.callFrames[0].location.lineNumber, 2);
  await client.send('Debugger.resume');
  assert.equal(await running, 84);
  isolate.dispose();
});

test('breakpoints by URL pause sync calls too; the session is served while Node waits', () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = isolate.createContextSync({ inspector: true });
  const session = isolate.createInspectorSession();
  const log = [];
  session.onResponse = (id, message) => {
    if (id === 3) {
      log.push(`evaluated ${JSON.parse(message).result.result.value}`);
    }
  };
  session.onNotification = (message) => {
    const { method, params } = JSON.parse(message);
    if (method === 'Debugger.paused') {
      log.push(`paused at line ${params.callFrames[0].location.lineNumber}`);
      session.dispatchProtocolMessage(JSON.stringify({ id: 3, method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: params.callFrames[0].callFrameId, expression: 'a * 100' } }));
      session.dispatchProtocolMessage(JSON.stringify({ id: 4, method: 'Debugger.resume' }));
    }
  };
  session.dispatchProtocolMessage(JSON.stringify({ id: 1, method: 'Debugger.enable' }));
  session.dispatchProtocolMessage(JSON.stringify({ id: 2, method: 'Debugger.setBreakpointByUrl', params: { url: 'file:///bp.js', lineNumber: 2 } }));
  assert.equal(context.evalSync('let a = 1;\na = a + 1;\na * 10', { filename: 'file:///bp.js' }), 20);
  assert.deepEqual(log, ['paused at line 2', 'evaluated 200']);
  isolate.dispose();
});

test('console messages and exceptions reach the session', async () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const client = connect(isolate);
  await client.send('Runtime.enable');
  const created = await client.next('Runtime.executionContextCreated');
  assert.equal(created.params.context.name, 'isolated-vm');
  await context.eval('console.log("hello", 42)');
  const logged = await client.next('Runtime.consoleAPICalled');
  assert.equal(logged.params.type, 'log');
  assert.deepEqual(logged.params.args.map((arg) => arg.value), ['hello', 42]);
  await assert.rejects(context.eval('\nthrow new RangeError("boom")', { filename: 'file:///throws.js' }), { name: 'RangeError' });
  const thrown = await client.next('Runtime.exceptionThrown');
  assert.equal(thrown.params.exceptionDetails.url, 'file:///throws.js');
  assert.equal(thrown.params.exceptionDetails.lineNumber, 1);
  assert.equal(thrown.params.exceptionDetails.text, 'Uncaught RangeError: boom');
  // Runtime.evaluate runs in the context.
  const evaluated = await client.send('Runtime.evaluate', { expression: '6 * 7' });
  assert.equal(evaluated.result.result.value, 42);
  isolate.dispose();
});

test('inspector errors use isolated-vm\'s messages', async () => {
  const plain = new ivm.Isolate();
  assert.throws(() => plain.createInspectorSession(), { message: 'Inspector is not enabled for this isolate' });
  assert.throws(() => plain.createContextSync({ inspector: true }), { message: 'Inspector is not enabled for this isolate' });
  plain.dispose();
  assert.throws(() => plain.createInspectorSession(), { message: 'Isolate is diposed' });

  const isolate = new ivm.Isolate({ inspector: true });
  const session = isolate.createInspectorSession();
  assert.throws(() => { session.onNotification = 1; }, { name: 'TypeError', message: '`onNotification` must be a function' });
  assert.throws(() => session.dispatchProtocolMessage(1), { name: 'TypeError', message: '`dispatchProtocolMessage` requires parameter 1 to be a string' });
  assert.throws(() => session.dispatchProtocolMessage(), { name: 'TypeError', message: '`dispatchProtocolMessage` requires at least 1 parameter' });
  session.dispose();
  assert.throws(() => session.dispatchProtocolMessage('{}'), { message: 'Session is dead' });
  assert.throws(() => session.dispose(), { message: 'Session is dead' });
  assert.throws(() => session.onResponse, { message: 'Session is dead' });
  // A session of a disposed isolate is dead too.
  const orphan = isolate.createInspectorSession();
  isolate.dispose();
  for (const use of [() => orphan.dispatchProtocolMessage('{}'), () => orphan.onNotification, () => { orphan.onResponse = () => {}; }, () => orphan.dispose()]) {
    assert.throws(use, { name: 'Error', message: 'Session is dead' });
  }
});

test('an isolate is not debuggable from within itself', () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = isolate.createContextSync();
  context.global.setSync('isolate', isolate);
  assert.equal(context.evalSync('try { isolate.createInspectorSession() } catch (e) { e.message }'), 'An isolate is not debuggable from within itself');
  // Given back, it is the same isolate.
  const back = context.global.getSync('isolate');
  assert.ok(back instanceof ivm.Isolate);
  assert.equal(back.createContextSync().evalSync('6 * 7'), 42);
  isolate.dispose();
  assert.equal(back.isDisposed, true);
});

test('sessions are of the class Session: its prototype\'s methods and accessors take only sessions', () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const session = isolate.createInspectorSession();
  assert.ok(Object.isFrozen(session));
  assert.deepEqual(Object.keys(session), []);
  const prototype = Object.getPrototypeOf(session);
  assert.equal(prototype.constructor.name, 'Session');
  assert.throws(() => new prototype.constructor(), { name: 'TypeError', message: 'Illegal constructor' });
  assert.equal(prototype.dispatchProtocolMessage.length, 1);
  const notSession = {};
  for (const use of [() => prototype.dispatchProtocolMessage.call(notSession, '{}'), () => prototype.dispose.call(notSession), () => Object.getOwnPropertyDescriptor(prototype, 'onResponse').get.call(notSession)]) {
    assert.throws(use, { name: 'TypeError', message: 'Illegal invocation' });
  }
  session.dispose();
  isolate.dispose();
});

test('handlers are called as functions with (callId, message) or (message); what they throw is dropped', async () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const session = isolate.createInspectorSession();
  assert.equal(session.onResponse, undefined);
  const calls = [];
  let arrived;
  const record = (kind) => function (...args) {
    calls.push([kind, this, ...args]);
    arrived?.();
    throw new Error('dropped');
  };
  const onResponse = record('response');
  session.onResponse = onResponse;
  session.onNotification = record('notification');
  assert.equal(session.onResponse, onResponse);
  const next = () => new Promise((resolve) => { arrived = resolve; });
  session.dispatchProtocolMessage('{"id":7,"method":"Nope"}');
  await next();
  session.dispatchProtocolMessage('not JSON');
  await next();
  assert.deepEqual(calls, [
    ['response', undefined, 7, '{"id":7,"error":{"code":-32601,"message":"\'Nope\' wasn\'t found"}}'],
    ['notification', undefined, '{"error":{"code":-32700,"message":"JSON: invalid token at position 0"}}'],
  ]);
  session.dispose();
  isolate.dispose();
});

test('while an async run is paused, Runtime.evaluate runs; disposing the isolate ends the run', async () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const client = connect(isolate);
  await client.send('Debugger.enable');
  const running = context.eval('debugger; 1');
  await client.next('Debugger.paused');
  const evaluated = await client.send('Runtime.evaluate', { expression: '6 * 7' });
  assert.equal(evaluated.result.result.value, 42);
  isolate.dispose();
  await assert.rejects(running, { name: 'Error', message: 'Isolate was disposed during execution' });
});

test('a dispatched message keeps the process alive until it is answered, even through a pause; a session alone does not', () => {
  const [command, args] = runtime.command(path.join(__dirname, 'fixtures', 'inspector-alive.js'));
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['paused at line 1', 'evaluated 21']);
});

test('examples/inspector.js serves DevTools over a WebSocket: breakpoint, pause, evaluate, resume', async () => {
  const isolate = new ivm.Isolate({ inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const server = await serveInspector(isolate, 0);
  const { port } = server.address();
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  assert.equal(targets[0].webSocketDebuggerUrl, `ws://127.0.0.1:${port}/isolate`);

  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.on('open', resolve).on('error', reject));
  const responses = new Map();
  const notifications = [];
  let onNotification = () => {};
  socket.on('message', (data) => {
    const message = JSON.parse(data);
    if (message.id !== undefined) {
      responses.get(message.id)?.(message);
    } else {
      notifications.push(message);
      onNotification(message);
    }
  });
  let nextId = 1;
  const send = (method, params = {}) => new Promise((resolve) => {
    const id = nextId++;
    responses.set(id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
  const pausedOnce = new Promise((resolve) => {
    onNotification = (message) => message.method === 'Debugger.paused' && resolve(message);
  });

  await send('Debugger.enable');
  const breakpoint = await send('Debugger.setBreakpointByUrl', { url: 'file:///served.js', lineNumber: 2 });
  assert.ok(breakpoint.result.breakpointId);
  const running = context.eval('const base = 20;\nconst doubled = base * 2;\ndoubled + 2', { filename: 'file:///served.js' });
  const paused = await pausedOnce;
  assert.deepEqual(paused.params.hitBreakpoints, [breakpoint.result.breakpointId]);
  const evaluated = await send('Debugger.evaluateOnCallFrame', { callFrameId: paused.params.callFrames[0].callFrameId, expression: 'doubled' });
  assert.equal(evaluated.result.result.value, 40);
  await send('Debugger.resume');
  assert.equal(await running, 42);

  socket.close();
  await new Promise((resolve) => server.close(resolve));
  isolate.dispose();
});

function checkProfile(profile) {
  for (const key of ['startTime', 'endTime']) {
    assert.equal(typeof profile[key], 'number', key);
  }
  assert.ok(profile.endTime >= profile.startTime);
  assert.ok(Array.isArray(profile.samples) && Array.isArray(profile.timeDeltas));
  assert.equal(profile.samples.length, profile.timeDeltas.length);
  const ids = new Set(profile.nodes.map((node) => node.id));
  for (const node of profile.nodes) {
    assert.equal(typeof node.id, 'number');
    assert.equal(typeof node.hitCount, 'number');
    assert.ok(Array.isArray(node.children ?? []));
    for (const child of node.children ?? []) {
      assert.ok(ids.has(child));
    }
    const frame = node.callFrame;
    assert.equal(typeof frame.functionName, 'string');
    assert.equal(typeof frame.url, 'string');
    assert.equal(typeof frame.scriptId, 'number');
    assert.equal(typeof frame.lineNumber, 'number');
    assert.equal(typeof frame.columnNumber, 'number');
  }
  for (const sample of profile.samples) {
    assert.ok(ids.has(sample));
  }
}

test('startCpuProfiler / stopCpuProfiler give ThreadCpuProfile[] in the .cpuprofile format', async () => {
  const isolate = new ivm.Isolate();
  const context = await isolate.createContext();
  await context.eval('function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s }', { filename: 'file:///hot.js' });
  isolate.startCpuProfiler('first');
  isolate.startCpuProfiler('second');
  await context.eval('hot(3e7)');
  context.evalSync('hot(1e7)');
  const [first] = await isolate.stopCpuProfiler('first');
  assert.equal(typeof first.threadId, 'number');
  checkProfile(first.profile);
  const hot = first.profile.nodes.find((node) => node.callFrame.functionName === 'hot');
  assert.ok(hot, 'the profile names the hot function');
  assert.equal(hot.callFrame.url, 'file:///hot.js');
  assert.ok(first.profile.samples.length > 10, `${first.profile.samples.length} samples`);
  // JSON.stringify gives a file DevTools loads.
  assert.deepEqual(JSON.parse(JSON.stringify(first.profile)).nodes.length, first.profile.nodes.length);

  const [second] = await isolate.stopCpuProfiler('second');
  checkProfile(second.profile);
  assert.deepEqual(await isolate.stopCpuProfiler('never started'), []);
  assert.throws(() => isolate.startCpuProfiler(), { name: 'TypeError', message: '`startCpuProfiler` requires at least 1 parameter' });
  // The isolate works as usual afterwards.
  assert.equal(context.evalSync('hot(10)'), 24);
  assert.equal(await context.eval('hot(10)'), 24);
  isolate.dispose();
});
