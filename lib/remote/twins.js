'use strict';
// Twins: objects of each class of a disposed in-process isolate, `live` ones and `released` ones,
// made once, when first needed. A call that an in-process object must answer, with objects that
// stand for those of out-of-process isolates among its arguments, is made with their twins
// instead, so that the in-process object's checks find the classes they would in one process:
// after an out-of-process isolate was disposed (lib/remote/parent.js), and for a forwarder that
// was released, which crosses as a released in-process object of its class (`releasedCall`).

let twins;

function twinsOf(ivm) {
  if (twins === undefined) {
    const isolate = new ivm.Isolate({ outOfProcess: false });
    const made = () => {
      const context = isolate.createContextSync();
      return { Isolate: isolate, Context: context, Script: isolate.compileScriptSync(''), Module: isolate.compileModuleSync(''), Reference: context.evalSync('globalThis', { reference: true }) };
    };
    twins = { live: made(), released: made() };
    isolate.dispose();
    for (const kind of ['Context', 'Script', 'Module', 'Reference']) {
      twins.released[kind].release();
    }
  }
  return twins;
}

// `args` with each (among them, or in an array among them) as `twin(arg)` gives it.
function twinned(args, twin) {
  return args.map((arg) => (Array.isArray(arg) ? arg.map(twin) : twin(arg)));
}

// Method or getter ('get NAME') `name` of the released in-process `object`.
function releasedCall(object, name, args, twin) {
  return name.startsWith('get ') ? object[name.slice(4)] : object[name](...twinned(args, twin));
}

module.exports = { twinsOf, twinned, releasedCall };
