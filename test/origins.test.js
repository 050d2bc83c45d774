'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const ivm = require('..');

function thrown(fn) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected an exception');
}

// The first two lines of an error's stack.
function head(error) {
  return error.stack.split('\n').slice(0, 2);
}

test('syntax errors name the file, line and column on every compile path', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const cases = [
    [() => isolate.compileScriptSync('\n  let x = ;', { filename: 'file:///a.js', lineOffset: 5, columnOffset: 7 }), "Unexpected token ';' [file:///a.js:7:11]"],
    [() => isolate.compileScriptSync('let x = ;', { filename: 'file:///a.js', lineOffset: 5, columnOffset: 7 }), "Unexpected token ';' [file:///a.js:6:16]"],
    [() => isolate.compileModuleSync('export let x = ;', { filename: 'file:///m.js', lineOffset: 1 }), "Unexpected token ';' [file:///m.js:2:16]"],
    [() => context.evalSync('let x = ;', { filename: 'file:///b.js' }), "Unexpected token ';' [file:///b.js:1:9]"],
    [() => context.evalClosureSync('return (', [], { filename: 'file:///c.js', lineOffset: 2 }), 'Unexpected end of input [file:///c.js:3:9]'],
    [() => context.evalSync('let x = ;'), "Unexpected token ';' [<isolated-vm>:1:9]"],
  ];
  for (const [compile, message] of cases) {
    const error = thrown(compile);
    assert.equal(error.name, 'SyntaxError');
    assert.equal(error.message, message);
    assert.equal(head(error)[0], `SyntaxError: ${message}`);
  }
  isolate.dispose();
});

test('stack traces show the origin, with line and column offsets', async () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  const nullX = "TypeError: Cannot read properties of null (reading 'x')";
  const run = (code, options) => isolate.compileScriptSync(code, options).runSync(context);
  assert.deepEqual(head(thrown(() => run('\n\n  null.x', { filename: 'file:///d.js', lineOffset: 1, columnOffset: 3 }))), [nullX, '    at file:///d.js:4:8']);
  // The column offset applies to the first line only.
  assert.deepEqual(head(thrown(() => run('null.x', { filename: 'file:///d.js', lineOffset: 1, columnOffset: 3 }))), [nullX, '    at file:///d.js:2:9']);
  assert.deepEqual(head(thrown(() => context.evalClosureSync('\nnull.x', [], { filename: 'file:///e.js' }))), [nullX, '    at file:///e.js:2:6']);
  assert.deepEqual(head(thrown(() => context.evalSync('\nnull.x'))), [nullX, '    at <isolated-vm>:2:6']);
  const asyncError = await context.eval('\n\nnull.x', { filename: 'file:///f.js', lineOffset: 10 }).catch((error) => error);
  assert.deepEqual(head(asyncError), [nullX, '    at file:///f.js:13:6']);
  isolate.dispose();
});

test('error positions follow the origin: functions defined in a file report it later', () => {
  const isolate = new ivm.Isolate();
  const context = isolate.createContextSync();
  context.evalSync('function fail() {\n  return new Error("made").stack;\n}', { filename: 'file:///lib.js', lineOffset: 20 });
  const stack = context.evalSync('fail()', { filename: 'file:///caller.js' });
  assert.deepEqual(stack.split('\n').slice(0, 3), ['Error: made', '    at fail (file:///lib.js:22:10)', '    at file:///caller.js:1:1']);
  isolate.dispose();
});
