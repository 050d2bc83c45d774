// Typical user code: must compile against index.d.ts.
import ivm from 'isolated-vm';
import { Isolate, ExternalCopy, Reference, Callback } from 'isolated-vm';

async function main(): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 64, inspector: false, onCatastrophicError: (message) => console.error(message) });
  const context: ivm.Context = await isolate.createContext();
  const jail: ivm.Reference<Record<string | number | symbol, any>> = context.global;
  await jail.set('global', jail.derefInto());
  jail.setSync('log', new ivm.Callback((...args: unknown[]) => console.log(...args)));

  const sum: number = await context.eval('1 + 2', { timeout: 100 });
  const viaPromise = context.evalSync('Promise.resolve(1)', { promise: true });
  const copied = await context.eval('({ a: 1 })', { copy: true });
  const referenced: ivm.Reference<unknown> = context.evalSync('({ a: 1 })', { reference: true });
  const external: ivm.ExternalCopy<unknown> = context.evalSync('[1, 2]', { externalCopy: true });
  void [sum, viaPromise, copied, referenced, external];

  const closure = await context.evalClosure('return $0 + $1', [1, 2], { arguments: { copy: true }, result: { copy: true } });
  void closure;

  const script = await isolate.compileScript('x + 1', { filename: 'file:///x.js', produceCachedData: true });
  const cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined = script.cachedData;
  const rejected: boolean | undefined = isolate.compileScriptSync('x', { cachedData }).cachedDataRejected;
  void rejected;
  await script.run(context, { release: true, timeout: 50 });

  const fn = new Reference((a: number, b: number) => a + b);
  const three = fn.applySync(undefined, [1, 2]);
  const applied = await fn.apply(undefined, [1, 2], { result: { promise: true } });
  void [three, applied];

  const copy = new ExternalCopy(new ArrayBuffer(8), { transferOut: true });
  const buffer: ArrayBuffer = copy.copy({ transferIn: true });
  void buffer;
  const total: number = ExternalCopy.totalExternalSize;
  void total;
  const callback = new Callback(() => 1, { async: true });
  void callback;

  const module = await isolate.compileModule('export default 1', { filename: 'file:///m.js', meta: (meta) => { meta.url = 'x'; } });
  await module.instantiate(context, async (specifier, referrer) => isolate.compileModuleSync(`export default "${specifier}"`));
  module.instantiateSync(context, (specifier: string, referrer: ivm.Module) => referrer);
  await module.evaluate({ timeout: 100 });
  const specifiers: string[] = module.dependencySpecifiers;
  const namespace: ivm.Reference<any> = module.namespace;
  void [specifiers, namespace];

  const stats: ivm.HeapStatistics = await isolate.getHeapStatistics();
  const limit: number = isolate.getHeapStatisticsSync().heap_size_limit + stats.externally_allocated_size;
  const cpu: bigint = isolate.cpuTime;
  void [limit, cpu];

  isolate.startCpuProfiler('profile');
  const profiles: ivm.ThreadCpuProfile[] = await isolate.stopCpuProfiler('profile');
  const first: number = profiles[0].profile.nodes[0].callFrame.lineNumber;
  void first;

  const inspected = new Isolate({ inspector: true });
  const session: ivm.InspectorSession = inspected.createInspectorSession();
  session.onNotification = (message: string) => void message;
  session.onResponse = (callId: number, message: string) => void [callId, message];
  session.dispatchProtocolMessage('{"id":1,"method":"Debugger.enable"}');
  session.dispose();

  const snapshot: ivm.ExternalCopy<ArrayBuffer> = ivm.Isolate.createSnapshot([{ code: 'var a = 1', filename: 'file:///a.js' }], 'a', { timeout: 1000 });
  new ivm.Isolate({ snapshot }).dispose();

  const started: [number, number] = ivm.lib.hrtime();
  const [seconds, nanoseconds] = ivm.lib.hrtime(started);
  await context.global.set('lib', ivm.lib);
  void [seconds, nanoseconds];
  isolate.dispose();
}

void main;
