'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const runtime = require('./support/runtime');
const ivm = require('..');

const code = `
  function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
  const table = Array.from({ length: 20 }, (_, i) => fib(i));
  table.join(',');
`;
const expected = '0,1,1,2,3,5,8,13,21,34,55,89,144,233,377,610,987,1597,2584,4181';

function bytesOf(copy) {
  return new Uint8Array(copy.copy());
}

function corrupt(copy) {
  const bytes = bytesOf(copy);
  for (let i = Math.floor(bytes.length / 2); i < bytes.length; i++) {
    bytes[i] ^= 0x5a;
  }
  return new ivm.ExternalCopy(bytes.buffer);
}

// Each compile path: a name, and a compile function returning the compiled object and a way to
// check it runs.
const paths = [
  ['compileScriptSync', async (isolate, source, options) => isolate.compileScriptSync(source, options)],
  ['compileScript', async (isolate, source, options) => isolate.compileScript(source, options)],
  ['compileModuleSync', async (isolate, source, options) => isolate.compileModuleSync(`export default (() => { ${source.replace('table.join', 'return table.join')} })();`, options)],
  ['compileModule', async (isolate, source, options) => isolate.compileModule(`export default (() => { ${source.replace('table.join', 'return table.join')} })();`, options)],
];

async function runs(isolate, compiled) {
  const context = await isolate.createContext();
  if (compiled instanceof ivm.Script) {
    return compiled.run(context);
  }
  await compiled.instantiate(context, () => {});
  await compiled.evaluate();
  return compiled.namespace.get('default');
}

for (const [name, compile] of paths) {
  test(`${name}: produceCachedData gives an ExternalCopy<ArrayBuffer> that is accepted back`, async () => {
    const isolate = new ivm.Isolate();
    const produced = await compile(isolate, code, { produceCachedData: true });
    assert.ok(produced.cachedData instanceof ivm.ExternalCopy);
    assert.ok(produced.cachedData.copy() instanceof ArrayBuffer);
    assert.ok(produced.cachedData.copy().byteLength > 100);
    assert.equal(produced.cachedDataRejected, undefined);
    assert.equal(await runs(isolate, produced), expected);

    // In another isolate, the cache is consumed: not rejected, nothing new produced.
    const other = new ivm.Isolate();
    const consumed = await compile(other, code, { cachedData: produced.cachedData, produceCachedData: true });
    assert.equal(consumed.cachedDataRejected, false);
    assert.equal(consumed.cachedData, undefined);
    assert.equal(await runs(other, consumed), expected);
    const plain = await compile(other, code);
    assert.deepEqual(Object.keys(plain), []);
    isolate.dispose();
    other.dispose();
  });

  test(`${name}: corrupted or foreign cachedData is rejected, not fatal`, async () => {
    const isolate = new ivm.Isolate();
    const { cachedData } = await compile(isolate, code, { produceCachedData: true });
    const damaged = await compile(isolate, code, { cachedData: corrupt(cachedData), produceCachedData: true });
    assert.equal(damaged.cachedDataRejected, true);
    // Rejected data is replaced by fresh data when asked for.
    assert.ok(damaged.cachedData instanceof ivm.ExternalCopy);
    assert.equal(await runs(isolate, damaged), expected);

    const foreign = await compile(isolate, `${code}; 'another script'`, { cachedData });
    assert.equal(foreign.cachedDataRejected, true);
    const garbage = await compile(isolate, code, { cachedData: new ivm.ExternalCopy(new Uint8Array([1, 2, 3]).buffer) });
    assert.equal(garbage.cachedDataRejected, true);
    const empty = await compile(isolate, code, { cachedData: new ivm.ExternalCopy(new ArrayBuffer(0)) });
    assert.equal(empty.cachedDataRejected, true);
    assert.equal(await runs(isolate, empty), expected);
    isolate.dispose();
  });

  test(`${name}: cachedData must be an ExternalCopy of an ArrayBuffer`, async () => {
    const isolate = new ivm.Isolate();
    const message = '`cachedData` must be an ExternalCopy to ArrayBuffer';
    for (const cachedData of [new ivm.ExternalCopy('text'), new ArrayBuffer(8), new Uint8Array(8), 'bytes', new ivm.ExternalCopy(new Uint8Array(8))]) {
      await assert.rejects(async () => compile(isolate, code, { cachedData }), { name: 'TypeError', message });
    }
    await assert.rejects(async () => compile(isolate, code, { produceCachedData: 'yes' }), { name: 'TypeError', message: '`produceCachedData` must be a boolean' });
    isolate.dispose();
  });
}

test('cached data written to disk is accepted by another process', () => {
  const isolate = new ivm.Isolate();
  const script = isolate.compileScriptSync(code, { filename: 'file:///cached.js', produceCachedData: true });
  const module = isolate.compileModuleSync('export const answer = 6 * 7;', { produceCachedData: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-cache-'));
  fs.writeFileSync(path.join(dir, 'script.bin'), Buffer.from(script.cachedData.copy()));
  fs.writeFileSync(path.join(dir, 'module.bin'), Buffer.from(module.cachedData.copy()));
  isolate.dispose();

  const child = `{
    const fs = require('node:fs');
    const ivm = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    const read = (file) => new ivm.ExternalCopy(new Uint8Array(fs.readFileSync(file)).buffer);
    const isolate = new ivm.Isolate();
    const context = isolate.createContextSync();
    const script = isolate.compileScriptSync(${JSON.stringify(code)}, { filename: 'file:///cached.js', cachedData: read(${JSON.stringify(path.join(dir, 'script.bin'))}) });
    const module = isolate.compileModuleSync('export const answer = 6 * 7;', { cachedData: read(${JSON.stringify(path.join(dir, 'module.bin'))}) });
    module.instantiateSync(context, () => {});
    module.evaluateSync();
    console.log(JSON.stringify([script.cachedDataRejected, script.runSync(context), module.cachedDataRejected, module.namespace.getSync('answer')]));
  }`;
  // Another process of the runtime running the tests (`.cjs`: Deno reads `.js` as ES modules).
  const childFile = path.join(dir, 'child.cjs');
  fs.writeFileSync(childFile, child);
  const output = execFileSync(...runtime.command(childFile), { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true });
  assert.deepEqual(JSON.parse(output), [false, expected, false, 42]);
});
