'use strict';
// `npm pack` gives a package that installs into a fresh directory with no Rust toolchain and no
// network, and works with require() and import (default and named), and with TypeScript, under
// the runtime running the tests.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const runtime = require('./support/runtime');

const root = path.join(__dirname, '..');

// The package packed and installed into a fresh consumer directory, once for these tests.
let installed;
let dir;
test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-package-'));
  // The binary is built already (npm install); packing must not build again.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  const consumer = path.join(dir, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  // No cargo or rustc on the PATH, and no network.
  const hasToolchain = (folder) => ['cargo', 'rustc'].some((tool) => fs.existsSync(path.join(folder, tool)));
  const env = { ...process.env, PATH: process.env.PATH.split(path.delimiter).filter((folder) => folder !== '' && !hasToolchain(folder)).join(path.delimiter) };
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, packed[0].filename)], { cwd: consumer, env, stdio: 'pipe' });
  const write = (file, lines) => fs.writeFileSync(path.join(consumer, file), lines.join('\n'));
  // Runs a file of the consumer under the runtime running the tests.
  const run = (file) => {
    const [command, commandArgs] = runtime.command(file);
    return execFileSync(command, commandArgs, { cwd: consumer, env, encoding: 'utf8' }).trim();
  };
  installed = { files: packed[0].files.map((file) => file.path).sort(), consumer, env, write, run };
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the packed package installs offline without a toolchain and loads through require and import', () => {
  const { files, write, run } = installed;
  for (const file of ['index.d.ts', 'isolated-vm.linux-x64-gnu.node', 'lib/binding.js', 'lib/index.js', 'lib/index.mjs', 'package.json', 'README.md']) {
    assert.ok(files.includes(file), `the package has ${file}`);
  }
  assert.ok(!files.some((file) => file.startsWith('src/') || file.startsWith('target/')), 'no sources or build directories');
  // `.cjs`: Deno takes `.js` files of a package without `"type": "commonjs"` as ES modules.
  write('cjs.cjs', ["const ivm = require('isolated-vm'); console.log(new ivm.Isolate().createContextSync().evalSync('6 * 7'));"]);
  write('esm.mjs', [
    "import ivm, { Isolate, ExternalCopy, Reference } from 'isolated-vm';",
    "console.log(ivm.Isolate === Isolate, typeof ExternalCopy, typeof Reference, new Isolate().createContextSync().evalSync('6 * 7'));",
  ]);
  assert.equal(run('cjs.cjs'), '42');
  assert.equal(run('esm.mjs'), 'true function function 42');
});

// Node runs TypeScript itself from 22.18 (types stripped), Bun and Deno always.
const runsTypeScript = runtime.name !== 'node' || runtime.nodeMajor >= 22;
test('TypeScript that imports the package runs directly', runtime.skipUnless(runsTypeScript, 'Node 20 runs no TypeScript without a loader'), () => {
  const { write, run } = installed;
  write('typed.ts', [
    "import ivm, { Isolate } from 'isolated-vm';",
    "const answer: number = new Isolate().createContextSync().evalSync('6 * 7');",
    'console.log(ivm.Isolate === Isolate, answer);',
  ]);
  assert.equal(run('typed.ts'), 'true 42');
});

test('the package\'s typings check TypeScript code: tsc, and deno check under Deno', () => {
  const { consumer, env } = installed;
  // test/types holds code that must compile and code that must not (marked @ts-expect-error).
  for (const file of ['usage.ts', 'misuse.ts']) {
    fs.copyFileSync(path.join(__dirname, 'types', file), path.join(consumer, file));
  }
  fs.writeFileSync(path.join(consumer, 'wrong.ts'), "import ivm from 'isolated-vm';\nconst wrong: string = new ivm.Isolate().createContextSync().evalSync('1', { reference: true });\n");
  const check = (files) => {
    if (runtime.name === 'deno') {
      return execFileSync(process.execPath, ['check', '--quiet', ...files], { cwd: consumer, env, encoding: 'utf8', stdio: 'pipe' });
    }
    // tsc, run by this runtime, resolving the package as a consumer does.
    const tsc = require.resolve('typescript/bin/tsc');
    const options = ['--noEmit', '--strict', '--esModuleInterop', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    return execFileSync(...runtime.command(tsc, [...options, ...files]), { cwd: consumer, env, encoding: 'utf8', stdio: 'pipe' });
  };
  check(['usage.ts', 'misuse.ts']);
  assert.throws(() => check(['wrong.ts']), (error) => /TS2322/.test(`${error.stdout}${error.stderr}`));
});

test('the per-platform package layout follows napi-rs conventions', () => {
  const manifest = require('../package.json');
  const platform = require('../npm/linux-x64-gnu/package.json');
  assert.equal(platform.name, '@isolated-vm-rs/linux-x64-gnu');
  assert.equal(platform.main, 'isolated-vm.linux-x64-gnu.node');
  assert.deepEqual([platform.os, platform.cpu, platform.libc], [['linux'], ['x64'], ['glibc']]);
  assert.equal(platform.version, manifest.version);
  assert.equal(manifest.optionalDependencies[platform.name], manifest.version);
  assert.equal(manifest.napi.binaryName, 'isolated-vm');
  // The loader prefers a binary next to the package, then the platform package.
  const loader = fs.readFileSync(path.join(root, 'lib', 'binding.js'), 'utf8');
  assert.match(loader, /@isolated-vm-rs\/\$\{triple\}/);
});

test('without a binary for the system, the loader names what it detected and where it looked', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-loader-'));
  try {
    fs.mkdirSync(path.join(copy, 'lib'));
    for (const file of ['binding.js', 'platform.js']) {
      fs.copyFileSync(path.join(root, 'lib', file), path.join(copy, 'lib', file));
    }
    const expected = `isolated-vm: no native binary for this system (platform linux, architecture ${process.arch}, C library glibc (from /proc/self/maps)). `
      + `Looked for ${path.join(copy, `isolated-vm.linux-${process.arch}-gnu.node`)}, the package @isolated-vm-rs/linux-${process.arch}-gnu.`;
    assert.throws(() => require(path.join(copy, 'lib', 'binding.js')), { message: expected });
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
