// The ES module entry: the same API as the CommonJS one, as a default export and named exports.
import ivm from './index.js';

export default ivm;
export const { Isolate, Context, Script, Module, Reference, Callback, ExternalCopy, NativeModule, lib } = ivm;
