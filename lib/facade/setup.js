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
const classNames = objectKeys(classes);
for (let i = 0; i < classNames.length; i++) {
  const ctor = classes[classNames[i]];
  makers[classNumbers[classNames[i]]] = instantiators.get(ctor);
  hostOptions.prototypes?.add(ctor.prototype);
}
binding.setup((kind) => makers[kind](), ivm, hostOptions.facadeFile);
return freeze(ivm);
