// The module object, and the facade's registration with the binding: the factory by which the
// binding makes instances of the classes (for results and transferred objects), and in Node the
// prototypes by which lib/host.js recognizes isolated-vm objects in values it copies. It returns
// the module: it ends the script.

const ivm = {
  lib,
  Isolate,
  Context,
  Script,
  Module,
  Reference,
  Callback,
  ExternalCopy,
  NativeModule,
};

// The binding creates instances of these classes (results, transferred objects) through this
// factory, by the numbers it declares for them (see checks.js).
const classes = { Isolate, Context, Script, Reference, Dereference, Callback, ExternalCopy, ExternalCopyInto, Module, Session, Lib };
const classNumbers = declared('classes', objectKeys(classes));
const makers = [];
const namesByNumber = [];
const classNames = objectKeys(classes);
for (let i = 0; i < classNames.length; i++) {
  const ctor = classes[classNames[i]];
  makers[classNumbers[classNames[i]]] = instantiators.get(ctor);
  namesByNumber[classNumbers[classNames[i]]] = classNames[i];
  hostOptions.prototypes?.add(ctor.prototype);
  crossingPrototypes.set(ctor.prototype, true);
}
// Given the Reference to Node's dispatcher, a forwarder for an object of an out-of-process
// isolate (see forward.js).
binding.setup((kind, dispatch) => (dispatch === undefined ? makers[kind]() : makeForwarder(namesByNumber[kind], dispatch)), ivm, hostOptions.facadeFile);
// Node's objects for those of out-of-process isolates have the same methods (lib/remote/parent.js).
hostOptions.surface = { classes: SURFACE, async: ASYNC_METHODS };
return freeze(ivm);
