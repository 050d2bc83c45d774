'use strict';
// Untrusted code meets the memory limit and the timeout: the host gets an error and goes on.

const ivm = require('..');

async function run(label, code, options) {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  try {
    console.log(label, 'returned', await context.eval(code, options));
  } catch (error) {
    console.log(label, 'failed:', error.message, `(isolate disposed: ${isolate.isDisposed})`);
  }
  if (!isolate.isDisposed) {
    console.log(label, 'isolate still usable:', await context.eval('6 * 7'));
    isolate.dispose();
  }
}

async function main() {
  await run('endless loop', 'for (;;) {}', { timeout: 50 });
  await run('endless promise chain', '(async () => { for (;;) await null; })()', { timeout: 50, promise: true });
  await run('memory bomb', 'const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random()));');
  await run('buffer bomb', 'const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20));');
  await run('deep recursion', 'function f() { return f() + 1; } f()');
  console.log('host still running:', process.memoryUsage.rss() > 0);
}

main();
