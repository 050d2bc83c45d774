'use strict';
// Passing functions and values between Node and an isolate: host functions the isolate calls
// (sync and async), references to isolate functions Node calls, and copies of data.

const ivm = require('..');

async function main() {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const jail = context.global;

  // A plain function becomes a synchronous host function inside the isolate.
  await jail.set('add', (a, b) => a + b);
  console.log('add:', await context.eval('add(2, 3)'));

  // An async callback: it runs later, on Node's event loop, and the isolate gets a promise.
  await jail.set('fetchUser', new ivm.Callback((id) => ({ id, name: `user ${id}` }), { async: true }));
  console.log('fetchUser:', await context.eval('fetchUser(7).then((user) => user.name)', { promise: true }));

  // A host function that returns a promise: the isolate awaits it through a Reference.
  await jail.set('lookup', new ivm.Reference(async (key) => `value of ${key}`));
  console.log('lookup:', await context.eval('lookup.apply(undefined, ["k"], { result: { promise: true } })', { promise: true }));

  // A Reference to a function defined in the isolate, called from Node.
  const greet = await context.eval('(function greet(name) { return "hello " + name; })', { reference: true });
  console.log('greet:', await greet.apply(undefined, ['node']));

  // Objects are not transferable as they are: copy them, or keep a Reference.
  const settings = await context.eval('({ theme: "dark", size: 3 })', { copy: true });
  console.log('settings:', JSON.stringify(settings));
  const counter = await context.eval('globalThis.counter = { value: 0 }', { reference: true });
  await context.eval('counter.value += 5');
  console.log('counter:', await counter.get('value'));

  // Arguments can be copied too.
  const total = await context.evalClosure('return $0.reduce((a, b) => a + b, 0)', [[1, 2, 3, 4]], { arguments: { copy: true } });
  console.log('total:', total);

  isolate.dispose();
}

main();
