'use strict';
// Stack traces of errors that cross between worlds (Node and isolates): each world's frames in
// order, innermost first, with a boundary line where the error crossed, as isolated-vm renders
// them. The expected isolate parts are the original's output for the same programs.
const test = require('node:test');
const assert = require('node:assert/strict');
const runtime = require('./support/runtime');
const ivm = require('..');

const BOUNDARY = '    at (<isolated-vm boundary>)';
const here = require('node:path').basename(__filename);

function thrown(f) {
  try {
    f();
  } catch (error) {
    return error;
  }
  assert.fail('expected an exception');
}

// Every line after the first is a frame; none is one of isolated-vm's own.
function assertFrames(stack) {
  const lines = stack.split('\n');
  for (const line of lines.slice(1)) {
    assert.match(line, /^ {4}at /, stack);
    assert.doesNotMatch(line, /facade\.js|\(isolated-vm:/, stack);
  }
  return lines;
}

// Three isolates: A's script throws in env0, B's env1 runs it, C's env2 runs B's.
function chain() {
  const isolates = [new ivm.Isolate(), new ivm.Isolate(), new ivm.Isolate()];
  const [a, b, c] = isolates.map((isolate) => isolate.createContextSync());
  const scriptA = isolates[0].compileScriptSync('function env0() { throw new Error("boom"); }\nenv0();', { filename: 'a.js' });
  b.global.setSync('script', scriptA);
  b.global.setSync('context', a);
  const scriptB = isolates[1].compileScriptSync('function env1() { script.runSync(context); }\nenv1();', { filename: 'b.js' });
  c.global.setSync('script', scriptB);
  c.global.setSync('context', b);
  const scriptC = isolates[2].compileScriptSync('function env2() { script.runSync(context); }\nenv2();', { filename: 'c.js' });
  return { isolates, a, b, c, scriptA, scriptB, scriptC, dispose: () => isolates.forEach((isolate) => isolate.dispose()) };
}

test('an error crossing three isolates into Node names each world\'s frames in order', () => {
  const { c, scriptC, dispose } = chain();
  function caller() {
    scriptC.runSync(c);
  }
  const lines = assertFrames(thrown(caller).stack);
  assert.deepEqual(lines.slice(0, 10), [
    'Error: boom',
    '    at env0 (a.js:1:25)',
    '    at a.js:2:1',
    BOUNDARY,
    '    at env1 (b.js:1:26)',
    '    at b.js:2:1',
    BOUNDARY,
    '    at env2 (c.js:1:26)',
    '    at c.js:2:1',
    BOUNDARY,
  ]);
  assert.match(lines[10], new RegExp(`^    at caller \\(.*${here}:\\d+:\\d+\\)$`));
  dispose();
});

test('an async call\'s error names the isolate\'s frames, then the caller\'s', async () => {
  const { a, scriptA, c, scriptC, dispose } = chain();
  async function caller() {
    await scriptA.run(a);
  }
  const lines = assertFrames((await caller().catch((error) => error)).stack);
  assert.deepEqual(lines.slice(0, 4), ['Error: boom', '    at env0 (a.js:1:25)', '    at a.js:2:1', BOUNDARY]);
  assert.match(lines[4], new RegExp(`^    at caller \\(.*${here}:\\d+:\\d+\\)$`));

  // Run asynchronously, C may not call B synchronously: the error is made in C, at env2.
  async function refused() {
    await scriptC.run(c);
  }
  const refusal = assertFrames((await refused().catch((error) => error)).stack);
  assert.deepEqual(refusal.slice(0, 4), [
    'Error: Calling a synchronous isolated-vm function on a non-default isolate from within an asynchronous isolated-vm function is not allowed.',
    '    at env2 (c.js:1:26)',
    '    at c.js:2:1',
    BOUNDARY,
  ]);
  assert.match(refusal[4], new RegExp(`^    at refused \\(.*${here}:`));
  dispose();
});

test('an async call made by isolate code shows the isolate\'s caller after the boundary', async () => {
  const { b, scriptA, a, dispose } = chain();
  b.global.setSync('script', scriptA);
  b.global.setSync('context', a);
  const error = await b.eval('async function env1() { await script.run(context); }\nenv1()', { filename: 'b.js', promise: true }).catch((e) => e);
  const lines = assertFrames(error.stack);
  assert.deepEqual(lines.slice(0, 6), ['Error: boom', '    at env0 (a.js:1:25)', '    at a.js:2:1', BOUNDARY, '    at env1 (b.js:1:38)', '    at b.js:2:1']);
  dispose();
});

test('an error of a host function shows Node\'s frames, then the isolate\'s', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.global.setSync('hostThrow', function hostThrow() { throw new TypeError('from host'); });
  const stack = context.evalSync('function inner() { try { hostThrow(); } catch (e) { return e.stack; } }\ninner()', { filename: 'in.js' });
  const lines = assertFrames(stack);
  assert.equal(lines[0], 'TypeError: from host');
  assert.match(lines[1], new RegExp(`^    at hostThrow \\(.*${here}:`));
  const boundary = lines.indexOf(BOUNDARY);
  assert.deepEqual(lines.slice(boundary), [BOUNDARY, '    at inner (in.js:1:26)', '    at in.js:2:1']);
  isolate.dispose();
});

test('a rewritten stack keeps the error\'s name and message, and where it crossed', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const error = thrown(() => context.evalSync('const e = new Error("m"); e.stack = "custom text"; throw e'));
  const lines = assertFrames(error.stack);
  assert.deepEqual(lines.slice(0, 2), ['Error: m', BOUNDARY]);
  // A subclass keeps its own name in the first line.
  const custom = thrown(() => context.evalSync('class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; } }\nthrow new MyError("mine")', { filename: 'my.js' }));
  assert.deepEqual(assertFrames(custom.stack).slice(0, 3), ['MyError: mine', '    at my.js:2:7', BOUNDARY]);
  isolate.dispose();
});

test('errors made by isolated-vm itself did not cross: the caller\'s frames, no boundary', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  isolate.dispose();
  async function caller() {
    await context.eval('1');
  }
  const lines = assertFrames((await caller().catch((error) => error)).stack);
  assert.equal(lines[0], 'Error: Isolate is disposed');
  assert.match(lines[1], new RegExp(`^    at caller \\(.*${here}:`));
  assert.ok(!lines.includes(BOUNDARY));
});

test('a timeout error carries the stack of the code it stopped', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const loop = context.evalSync('(function the_stack() { for (;;); })', { reference: true });
  const code = 'function the_stack() { for (;;); }\nthe_stack()';
  const stopped = [
    thrown(() => loop.applySync(undefined, [], { timeout: 20 })),
    await loop.apply(undefined, [], { timeout: 20 }).catch((error) => error),
    thrown(() => context.evalSync(code, { timeout: 20, filename: 'loop.js' })),
    await context.eval(code, { timeout: 20, filename: 'loop.js' }).catch((error) => error),
  ];
  for (const error of stopped) {
    assert.equal(error.message, 'Script execution timed out.');
    const lines = assertFrames(error.stack);
    assert.equal(lines[0], 'Error: Script execution timed out.');
    assert.match(lines[1], /^ {4}at the_stack \((<isolated-vm>|loop\.js):1:2[45]\)$/);
    assert.ok(lines.indexOf(BOUNDARY) > 1, error.stack);
  }
  // The isolate is still usable.
  assert.equal(context.evalSync('1 + 1'), 2);
  isolate.dispose();
});

test('a timeout of runSync inside an isolate names the inner looping function, then the outer code', () => {
  const outer = new ivm.Isolate();
  const inner = new ivm.Isolate();
  const context = outer.createContextSync();
  const innerContext = inner.createContextSync();
  context.global.setSync('script', inner.compileScriptSync('function the_stack() { for (;;); }\nthe_stack()', { filename: 'inner.js' }));
  context.global.setSync('context', innerContext);
  const error = thrown(() => context.evalSync('function outer() { script.runSync(context, { timeout: 20 }); }\nouter()', { filename: 'outer.js' }));
  assert.equal(error.message, 'Script execution timed out.');
  assert.deepEqual(assertFrames(error.stack).slice(0, 7), [
    'Error: Script execution timed out.',
    '    at the_stack (inner.js:1:24)',
    '    at inner.js:2:1',
    BOUNDARY,
    '    at outer (outer.js:1:27)',
    '    at outer.js:2:1',
    BOUNDARY,
  ]);
  outer.dispose();
  inner.dispose();
});
