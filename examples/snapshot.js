'use strict';
// Startup snapshots: set up a library once, then start isolates that already have it.

const ivm = require('..');

const library = `
  globalThis.templates = {
    greeting: (name) => 'Hello, ' + name + '!',
    farewell: (name) => 'Goodbye, ' + name + '.',
  };
  // Work done once, when the snapshot is made.
  globalThis.primes = [];
  for (let n = 2; primes.length < 1000; n++) {
    if (primes.every((p) => n % p !== 0)) primes.push(n);
  }
`;

const snapshot = ivm.Isolate.createSnapshot([{ code: library, filename: 'file:///library.js' }], 'templates.greeting("warm-up")');
console.log('snapshot size (KB):', Math.round(snapshot.copy().byteLength / 1024) > 0);

for (const name of ['ada', 'grace']) {
  const isolate = new ivm.Isolate({ snapshot, memoryLimit: 32 });
  const context = isolate.createContextSync();
  console.log(context.evalSync(`templates.greeting(${JSON.stringify(name)}) + " The 1000th prime is " + primes[999] + "."`));
  isolate.dispose();
}

// Bad scripts fail the snapshot, not the process.
try {
  ivm.Isolate.createSnapshot([{ code: 'for (;;) {}' }], undefined, { timeout: 100 });
} catch (error) {
  console.log('endless setup script:', error.message);
}
