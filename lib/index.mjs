// The ES module entry: the same API as the CommonJS one, as a default export and named exports.
// The CommonJS entry is loaded with `require` (Deno does not give ES modules the default export
// of a CommonJS `.js` file).
import { createRequire } from 'node:module';

const ivm = createRequire(import.meta.url)('./index.js');

export default ivm;
export const { Isolate, Context, Script, Module, Reference, Callback, ExternalCopy, NativeModule, lib } = ivm;
