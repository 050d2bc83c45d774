'use strict';
// The public API of isolated-vm, built over a native binding: the frame of one script, whose
// body is the files of this folder, each put in place of its `// @include` line, in this order.
// lib/facade.js joins them for Node, build.rs for isolates (src/inner), by the same rule.
//
// The script runs in two worlds: in Node (lib/index.js passes it the Node-API binding) and inside
// isolates that receive the module or one of its objects (the addon passes it a binding made of
// V8 functions with the same names and signatures). So it must not use `require` or anything
// Node-specific, and it captures the built-ins it uses when it starts (see builtins.js).
//
// Options (Node only): `facadeFile`, the file name the script runs under, lets the binding leave
// the facade's own frames out of the stack traces it builds; `prototypes`, a Set, receives the
// prototypes of the classes, by which copies recognize isolated-vm objects in values (see
// lib/host.js); `outOfProcess(options)` makes out-of-process isolates and `callbackFunctions`, a
// WeakMap, receives each Callback's function and mode for them, and `copiesInto`, a WeakMap set
// once there is an out-of-process isolate, the value and `transferIn` of each ExternalCopyInto
// (see lib/remote/parent.js); the facade sets `surface`, the methods of the classes that
// forwarders have (forward.js), which Node's objects for a child's have too.
//
// The facade validates arguments with isolated-vm's messages and passes them to the binding as
// plain positional values; the binding does the work. Instances carry a native handle, attached
// by the binding, that cannot be forged from JavaScript.
(function createIsolatedVm(binding, hostOptions = {}) {
  // @include builtins.js
  // @include checks.js
  // @include classes.js
  // @include linker.js
  // @include transfer.js
  // @include forward.js
  // @include setup.js
})
