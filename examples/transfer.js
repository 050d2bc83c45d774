'use strict';
// Moving data: ExternalCopy (copies kept outside any isolate), transferring ArrayBuffers without
// copying them, and SharedArrayBuffers seen from both sides.

const ivm = require('..');

async function main() {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = await isolate.createContext();
  const jail = context.global;

  // One copy, given to many contexts.
  const config = new ivm.ExternalCopy({ name: 'service', limits: [1, 2, 3], started: new Date(0) });
  await jail.set('config', config.copyInto());
  console.log('config in isolate:', await context.eval('config.name + " " + config.limits.length + " " + config.started.toISOString()'));

  // An ArrayBuffer moved into the isolate and back: no copy; the sender's buffer is detached.
  const bytes = new Uint8Array(16 * 1024 * 1024).fill(1);
  await jail.set('bytes', new ivm.ExternalCopy(bytes.buffer, { transferOut: true }).copyInto({ transferIn: true }));
  console.log('sent buffer detached:', bytes.byteLength === 0);
  await context.eval('new Uint8Array(bytes)[0] = 42');
  // Isolate code can move it back the same way, given the API.
  await jail.set('ivm', ivm);
  const moved = await context.eval('new ivm.ExternalCopy(bytes, { transferOut: true })');
  const returned = moved.copy({ transferIn: true });
  console.log('first byte back in node:', new Uint8Array(returned)[0], 'of', returned.byteLength, 'bytes');

  // Shared memory: both sides see the same bytes.
  const shared = new SharedArrayBuffer(4);
  await jail.set('shared', new ivm.ExternalCopy(shared).copyInto());
  await context.eval('Atomics.store(new Int32Array(shared), 0, 7)');
  console.log('shared value seen by node:', Atomics.load(new Int32Array(shared), 0));
  console.log('external copies total (bytes):', ivm.ExternalCopy.totalExternalSize > 0);
  isolate.dispose();
}

main();
