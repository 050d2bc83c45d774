'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const ivm = require('..');

function setup() {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('ivm', ivm);
  return { isolate, context };
}

test('global.setSync("ivm", ivm) gives isolate code the whole API', () => {
  const { isolate, context } = setup();
  assert.equal(context.evalSync('["Isolate", "Context", "Script", "Reference", "ExternalCopy", "Callback"].every((name) => typeof ivm[name] === "function")'), true);
  assert.equal(context.evalSync('Object.isFrozen(ivm) && Object.isFrozen(ivm.Reference.prototype)'), true);
  isolate.dispose();
});

test('isolate code can create and use isolates of its own', async () => {
  const { isolate, context } = setup();
  assert.equal(context.evalSync(`
    const inner = new ivm.Isolate({ memoryLimit: 16 });
    const innerContext = inner.createContextSync();
    const script = inner.compileScriptSync('6 * 7');
    const value = script.runSync(innerContext);
    inner.dispose();
    value + ':' + inner.isDisposed;
  `), '42:true');
  assert.equal(await context.eval(`
    (async () => {
      const inner = new ivm.Isolate();
      const innerContext = await inner.createContext();
      return await innerContext.eval('"async inner"');
    })()
  `, { promise: true }), 'async inner');
  isolate.dispose();
});

test('handles passed in keep working: Isolate, Context, Script, Reference, ExternalCopy, Callback', () => {
  const { isolate, context } = setup();
  const other = new ivm.Isolate();
  const otherContext = other.createContextSync();
  const script = other.compileScriptSync('globalThis.counter = (globalThis.counter || 0) + 1');
  context.global.setSync('other', other);
  context.global.setSync('otherContext', otherContext);
  context.global.setSync('script', script);
  context.global.setSync('hostRef', new ivm.Reference({ value: 'host' }));
  context.global.setSync('copy', new ivm.ExternalCopy({ copied: true }));
  context.global.setSync('callback', new ivm.Callback((x) => x + 1));
  assert.equal(context.evalSync('other instanceof ivm.Isolate && otherContext instanceof ivm.Context && script instanceof ivm.Script'), true);
  assert.equal(context.evalSync('script.runSync(otherContext); script.runSync(otherContext)'), 2);
  assert.equal(context.evalSync('hostRef.getSync("value")'), 'host');
  assert.equal(context.evalSync('copy instanceof ivm.ExternalCopy && copy.copy().copied'), true);
  assert.equal(context.evalSync('typeof callback === "function" && callback(1)'), 2);
  assert.equal(context.evalSync('typeof other.cpuTime'), 'bigint');
  isolate.dispose();
  other.dispose();
});

test('isolate code can hand objects back to Node', () => {
  const { isolate, context } = setup();
  const reference = context.evalSync('new ivm.Reference({ inside: true })');
  assert.ok(reference instanceof ivm.Reference);
  assert.equal(reference.getSync('inside'), true);
  const copy = context.evalSync('new ivm.ExternalCopy([1, 2, 3])');
  assert.ok(copy instanceof ivm.ExternalCopy);
  assert.deepEqual(copy.copy(), [1, 2, 3]);
  const isolateFromInside = context.evalSync('new ivm.Isolate()');
  assert.ok(isolateFromInside instanceof ivm.Isolate);
  assert.equal(isolateFromInside.createContextSync().evalSync('1 + 1'), 2);
  assert.equal(typeof isolateFromInside.cpuTime, 'bigint');
  assert.equal(isolateFromInside.isDisposed, false);
  isolateFromInside.dispose();
  assert.equal(isolateFromInside.isDisposed, true);
  assert.throws(() => isolateFromInside.dispose(), { message: 'Isolate is already disposed' });
  // Its guest's own isolate is still there.
  assert.equal(context.evalSync('6 * 7'), 42);
  isolate.dispose();
});

test('a sync call from an async task into another isolate fails with the original message', async () => {
  const { isolate, context } = setup();
  const other = new ivm.Isolate();
  context.global.setSync('otherContext', other.createContextSync());
  await assert.rejects(context.eval('otherContext.evalSync("1")'), {
    name: 'Error',
    message: 'Calling a synchronous isolated-vm function on a non-default isolate from within an asynchronous isolated-vm function is not allowed.',
  });
  // Async calls are fine, and sync calls into its own isolate too.
  assert.equal(await context.eval('otherContext.eval("2")', { promise: true }), 2);
  context.global.setSync('ownContext', context);
  assert.equal(await context.eval('ownContext.evalSync("3")'), 3);
  isolate.dispose();
  other.dispose();
});

test('errors keep type, message and stack from isolate to isolate', () => {
  const { isolate, context } = setup();
  const other = new ivm.Isolate();
  context.global.setSync('otherContext', other.createContextSync());
  const stack = context.evalSync(`
    function outer() {
      try { otherContext.evalSync('function deep() { throw new URIError("bad uri") } deep()', { filename: 'other.js' }); }
      catch (e) { return [e.constructor.name + ':' + e.name, e.message, e.stack].join('|'); }
    }
    outer();
  `, { filename: 'main.js' });
  const [type, message, trace] = stack.split('|');
  // An Error named URIError, as the original rebuilds a URIError.
  assert.equal(type, 'Error:URIError');
  assert.equal(message, 'bad uri');
  assert.match(trace, /at deep \(other\.js:1:25\)[\s\S]*at \(<isolated-vm boundary>\)[\s\S]*at outer \(main\.js:3:/);
  isolate.dispose();
  other.dispose();
});

test('the API inside isolates validates arguments like in Node', () => {
  const { isolate, context } = setup();
  assert.equal(context.evalSync('try { new ivm.Isolate({ memoryLimit: 1 }) } catch (e) { e.message }'), '`memoryLimit` must be at least 8');
  assert.equal(context.evalSync('try { ivm.Isolate.prototype.dispose.call({}) } catch (e) { e.message }'), 'Illegal invocation');
  assert.equal(context.evalSync('try { new ivm.Reference() } catch (e) { e.message }'), '`Reference` requires at least 1 parameter');
  isolate.dispose();
});
