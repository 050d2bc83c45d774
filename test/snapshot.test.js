'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ivm = require('..');
const runtime = require('./support/runtime');

const library = `
  globalThis.lib = {
    greet(name) { return 'hello ' + name; },
    fail() { throw new Error('from the snapshot'); },
  };
  var counter = 41;
  const table = new Map([['a', 1], ['b', 2]]);
  globalThis.lookup = (key) => table.get(key);
`;

test('createSnapshot gives an ExternalCopy<ArrayBuffer>; isolates made from it start with its globals', async () => {
  const snapshot = ivm.Isolate.createSnapshot([{ code: library, filename: 'file:///lib.js' }]);
  assert.ok(snapshot instanceof ivm.ExternalCopy);
  assert.ok(snapshot.copy() instanceof ArrayBuffer);
  const isolate = new ivm.Isolate({ snapshot });
  const context = isolate.createContextSync();
  assert.equal(context.evalSync('lib.greet("snapshot") + " " + (counter + 1) + " " + lookup("b")'), 'hello snapshot 42 2');
  // Every context starts from the snapshot, unaffected by the others.
  context.evalSync('counter = 0; lib.extra = true');
  const other = await isolate.createContext();
  assert.equal(await other.eval('counter + ":" + (lib.extra === undefined)'), '41:true');
  // Functions from the snapshot keep their origin in stack traces.
  const error = (() => {
    try {
      context.evalSync('lib.fail()');
    } catch (caught) {
      return caught;
    }
  })();
  assert.match(error.stack.split('\n')[1], /^ {4}at Object\.fail \(file:\/\/\/lib\.js:4:20\)$/);
  // The usual built-ins are there too.
  assert.equal(context.evalSync('typeof WebAssembly + typeof SharedArrayBuffer + typeof Intl'), 'objectfunctionobject');
  isolate.dispose();
});

test('a warm-up script runs in a throwaway context: its state is not in the snapshot', () => {
  const snapshot = ivm.Isolate.createSnapshot(
    [{ code: 'function square(x) { return x * x; } var calls = 0; function counted() { return ++calls; }' }],
    'for (let i = 0; i < 1000; i++) square(i); counted(); counted();',
  );
  const isolate = new ivm.Isolate({ snapshot });
  const context = isolate.createContextSync();
  assert.equal(context.evalSync('square(12) + ":" + counted()'), '144:1');
  isolate.dispose();
});

test('scripts that throw, loop or allocate without bound fail createSnapshot with a clear error, in bounded time', () => {
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'throw new TypeError("nope")' }]), { name: 'TypeError', message: 'nope' });
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'let = ;', filename: 'file:///bad.js' }]), {
    name: 'SyntaxError',
    message: "Unexpected token ';' [file:///bad.js:1:7]",
  });
  let started = Date.now();
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'for (;;) {}' }], undefined, { timeout: 200 }), { message: 'Script execution timed out.' });
  assert.ok(Date.now() - started < 15000, `took ${Date.now() - started} ms`);
  started = Date.now();
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'const keep = []; for (;;) keep.push({ a: [1, 2, 3] })' }], undefined, { memoryLimit: 16 }), {
    message: 'Failure creating snapshot: the scripts went over the memory limit',
  });
  // ArrayBuffers over the limit are refused, as in isolates: the script throws.
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20))' }], undefined, { memoryLimit: 16 }), {
    name: 'RangeError',
    message: 'Array buffer allocation failed',
  });
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  // What V8 cannot serialize ends in an error, not a crash.
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: 'globalThis.format = new Intl.DateTimeFormat("en-US")' }]), /^Error: Failure creating snapshot: /);
  // The process goes on making snapshots.
  assert.ok(ivm.Isolate.createSnapshot([{ code: 'var ok = 1' }]) instanceof ivm.ExternalCopy);
});

test('createSnapshot validates its arguments', () => {
  assert.throws(() => ivm.Isolate.createSnapshot(), { name: 'TypeError', message: '`createSnapshot` requires at least 1 parameter' });
  assert.throws(() => ivm.Isolate.createSnapshot('code'), { name: 'TypeError', message: '`createSnapshot` requires parameter 1 to be an array' });
  assert.throws(() => ivm.Isolate.createSnapshot([{}]), { name: 'TypeError', message: '`code` property is required' });
  assert.throws(() => ivm.Isolate.createSnapshot([{ code: '1' }], 5), { name: 'TypeError', message: '`createSnapshot` requires parameter 2 to be a string' });
});

// The checksum of sealed data (src/ops/sealed.rs), to forge a well-sealed snapshot of another
// V8 version.
function checksum(bytes) {
  const K = 0x9E3779B97F4A7C15n;
  const M = (1n << 64n) - 1n;
  const rotate = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lanes = [K, K ^ 1n, K ^ 2n, K ^ 3n];
  const blocks = Math.floor(bytes.length / 32);
  for (let block = 0; block < blocks; block++) {
    for (let lane = 0; lane < 4; lane++) {
      lanes[lane] = rotate(((lanes[lane] ^ view.getBigUint64(block * 32 + lane * 8, true)) * K) & M, 29);
    }
  }
  let hash = BigInt(bytes.length);
  for (const lane of lanes) {
    hash = rotate(((hash ^ lane) * K) & M, 31);
  }
  for (let offset = blocks * 32; offset < bytes.length; offset += 8) {
    let word = 0n;
    for (let i = 0; i < 8 && offset + i < bytes.length; i++) {
      word |= BigInt(bytes[offset + i]) << BigInt(8 * i);
    }
    hash = rotate(((hash ^ word) * K) & M, 29);
  }
  return hash ^ (hash >> 32n);
}

test('damaged snapshots and snapshots of another version are refused with clear errors', () => {
  const sealed = new Uint8Array(ivm.Isolate.createSnapshot([{ code: 'var x = 1' }]).copy());
  const damaged = sealed.slice();
  damaged[damaged.length >> 1] ^= 1;
  const invalid = 'Snapshot is not valid: it is damaged, or was not made by createSnapshot';
  assert.throws(() => new ivm.Isolate({ snapshot: new ivm.ExternalCopy(damaged.buffer) }), { message: invalid });
  assert.throws(() => new ivm.Isolate({ snapshot: new ivm.ExternalCopy(sealed.slice(0, 1000).buffer) }), { message: invalid });
  assert.throws(() => new ivm.Isolate({ snapshot: new ivm.ExternalCopy(new ArrayBuffer(64)) }), { message: invalid });
  assert.throws(() => new ivm.Isolate({ snapshot: new ArrayBuffer(64) }), { name: 'TypeError', message: '`snapshot` must be an ExternalCopy to ArrayBuffer' });

  // The same snapshot, as if made by another V8: its version string changed, sealed again.
  const header = 20;
  const payload = sealed.slice(header);
  const version = Buffer.from(payload.buffer, 0, 128).indexOf(Buffer.from('15.'));
  assert.ok(version !== -1, 'the V8 version string is in the snapshot header');
  payload.set(Buffer.from('99.'), version);
  const forged = new Uint8Array(sealed.length);
  forged.set(sealed.subarray(0, 12));
  new DataView(forged.buffer).setBigUint64(12, checksum(payload), true);
  forged.set(payload, header);
  assert.throws(() => new ivm.Isolate({ snapshot: new ivm.ExternalCopy(forged.buffer) }), {
    message: 'Snapshot is not valid: it was made by another version of isolated-vm',
  });
  // Resealed without the change, the same bytes are accepted: the check above is the version.
  payload.set(Buffer.from('15.'), version);
  new DataView(forged.buffer).setBigUint64(12, checksum(payload), true);
  forged.set(payload, header);
  const isolate = new ivm.Isolate({ snapshot: new ivm.ExternalCopy(forged.buffer) });
  assert.equal(isolate.createContextSync().evalSync('x'), 1);
  isolate.dispose();
});

test('isolates from a snapshot keep their memory limit', async () => {
  const snapshot = ivm.Isolate.createSnapshot([{ code: library }]);
  const isolate = new ivm.Isolate({ snapshot, memoryLimit: 16 });
  const context = await isolate.createContext();
  await assert.rejects(context.eval('const keep = []; for (;;) keep.push({ a: [1, 2, 3] })'), {
    message: 'Isolate was disposed during execution due to memory limit',
  });
});

test('a snapshot made by one process works in another that made isolates first', () => {
  // A snapshot made by a process whose first isolate was the snapshot creator once referred to a
  // read-only heap of its own, and aborted a process that had made an isolate before using it.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-snapshot-')), 'snapshot.bin');
  const fixture = path.join(__dirname, 'fixtures', 'snapshot-elsewhere.js');
  const [command, makeArgs] = runtime.command(fixture, ['make', file]);
  execFileSync(command, makeArgs, { timeout: 60_000 });
  const [, useArgs] = runtime.command(fixture, ['use', file]);
  assert.equal(execFileSync(command, useArgs, { encoding: 'utf8', timeout: 60_000 }).trim(), '42');
  fs.rmSync(path.dirname(file), { recursive: true });
});
