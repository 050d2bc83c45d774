// Wrong usages: each must fail to compile (tsc reports a `@ts-expect-error` that is not needed).
import ivm from 'isolated-vm';

declare const isolate: ivm.Isolate;
declare const context: ivm.Context;
declare const reference: ivm.Reference<(a: number) => string>;

// @ts-expect-error memoryLimit is a number
new ivm.Isolate({ memoryLimit: '128' });
// @ts-expect-error contexts are made by isolates
new ivm.Context();
// @ts-expect-error code must be a string
isolate.compileScriptSync(42);
// @ts-expect-error only one of copy, externalCopy and reference
context.evalSync('1', { copy: true, reference: true });
// @ts-expect-error timeout is a number
context.evalSync('1', { timeout: 'soon' });
// @ts-expect-error run needs a context
isolate.compileScriptSync('1').runSync({});
// @ts-expect-error cpuTime is read-only
isolate.cpuTime = 0n;
// @ts-expect-error the result of an async call is a promise
const notAwaited: number = context.eval('1');
// @ts-expect-error a Callback takes a function
new ivm.Callback(42);
// @ts-expect-error only one of async, sync and ignored
new ivm.Callback(() => 1, { async: true, ignored: true });
// @ts-expect-error the resolver must give modules
isolate.compileModuleSync('import "x"').instantiateSync(context, () => 'not a module');
// @ts-expect-error stopCpuProfiler gives a promise of profiles
const profiles: ivm.ThreadCpuProfile[] = isolate.stopCpuProfiler('title');
// @ts-expect-error onResponse receives a call id and a message
isolate.createInspectorSession().onResponse = (callId: string) => void callId;
// @ts-expect-error snapshot scripts need code
ivm.Isolate.createSnapshot([{ filename: 'file:///a.js' }]);
// @ts-expect-error the transferIn option is a boolean
new ivm.ExternalCopy(new ArrayBuffer(1)).copy({ transferIn: 1 });

void [notAwaited, profiles, reference];
// @ts-expect-error hrtime takes a [seconds, nanoseconds] pair
ivm.lib.hrtime(1000);
// @ts-expect-error the Lib of `ivm.lib` cannot be constructed
new ivm.Lib();
