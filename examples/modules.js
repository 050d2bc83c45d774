'use strict';
// ES modules loaded from a virtual file system through a resolver, with dynamic import() and
// top-level await.

const ivm = require('..');

const files = {
  '/app/main.js': `
    import { total } from './math.js';
    import config from './config.js';
    const lazy = await import('./lazy.js');
    export const result = total([1, 2, 3]) * config.factor + lazy.bonus;
  `,
  '/app/math.js': 'export const total = (values) => values.reduce((a, b) => a + b, 0);',
  '/app/config.js': 'export default { factor: 10 };',
  '/app/lazy.js': 'export const bonus = 4;',
};

async function main() {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const modules = new Map();
  const load = async (path) => {
    if (!(path in files)) {
      throw new Error(`Cannot find module ${path}`);
    }
    if (!modules.has(path)) {
      modules.set(path, isolate.compileModule(files[path], { filename: `file://${path}` }));
    }
    return modules.get(path);
  };
  // Specifiers are resolved relative to the importing module's file.
  const paths = new WeakMap();
  const resolve = async (specifier, referrer) => {
    const path = new URL(specifier, `file://${paths.get(referrer)}`).pathname;
    const module = await load(path);
    paths.set(module, path);
    return module;
  };

  const main = await load('/app/main.js');
  paths.set(main, '/app/main.js');
  console.log('dependencies:', main.dependencySpecifiers.join(', '));
  await main.instantiate(context, resolve);
  await main.evaluate({ timeout: 1000 });
  console.log('result:', await main.namespace.get('result'));
  // A missing module fails instantiation with an error naming it.
  const broken = await isolate.compileModule('import "./missing.js";', { filename: 'file:///app/broken.js' });
  paths.set(broken, '/app/broken.js');
  await broken.instantiate(context, resolve).catch((error) => console.log('broken:', error.message));
  isolate.dispose();
}

main();
