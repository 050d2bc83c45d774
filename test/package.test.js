'use strict';
// `npm pack` gives a package that installs into a fresh directory with no Rust toolchain and no
// network, and works with require() and import (default and named).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const runtime = require('./support/runtime');

const root = path.join(__dirname, '..');

test('the packed package installs offline without a toolchain and loads through require and import, with typings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivm-package-'));
  try {
    // The binary is built already (npm install); packing must not build again.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
    const files = packed[0].files.map((file) => file.path).sort();
    for (const file of ['index.d.ts', 'isolated-vm.linux-x64-gnu.node', 'lib/binding.js', 'lib/index.js', 'lib/index.mjs', 'package.json', 'README.md']) {
      assert.ok(files.includes(file), `the package has ${file}`);
    }
    assert.ok(!files.some((file) => file.startsWith('src/') || file.startsWith('target/')), 'no sources or build directories');

    const consumer = path.join(dir, 'consumer');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // No cargo or rustc on the PATH, and no network.
    const hasToolchain = (dir) => ['cargo', 'rustc'].some((tool) => fs.existsSync(path.join(dir, tool)));
    const env = { ...process.env, PATH: process.env.PATH.split(path.delimiter).filter((dir) => dir !== '' && !hasToolchain(dir)).join(path.delimiter) };
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, packed[0].filename)], { cwd: consumer, env, stdio: 'pipe' });

    // `.cjs`: Deno takes `.js` files of a package without `"type": "commonjs"` as ES modules.
    fs.writeFileSync(path.join(consumer, 'cjs.cjs'), "const ivm = require('isolated-vm'); console.log(new ivm.Isolate().createContextSync().evalSync('6 * 7'));");
    fs.writeFileSync(path.join(consumer, 'esm.mjs'), [
      "import ivm, { Isolate, ExternalCopy, Reference } from 'isolated-vm';",
      "console.log(ivm.Isolate === Isolate, typeof ExternalCopy, typeof Reference, new Isolate().createContextSync().evalSync('6 * 7'));",
    ].join('\n'));
    const run = (file, args = []) => {
      const [command, commandArgs] = runtime.command(file, args);
      return execFileSync(command, commandArgs, { cwd: consumer, env, encoding: 'utf8' }).trim();
    };
    assert.equal(run('cjs.cjs'), '42');
    assert.equal(run('esm.mjs'), 'true function function 42');

    // TypeScript users get the package's typings: Deno checks against them (test/types holds
    // code that must compile and code that must not); Bun and Deno run TypeScript that uses the
    // package. (Under Node, test/types.test.js runs tsc.)
    if (runtime.name === 'deno') {
      for (const file of ['usage.ts', 'misuse.ts']) {
        fs.copyFileSync(path.join(__dirname, 'types', file), path.join(consumer, file));
      }
      execFileSync(process.execPath, ['check', '--quiet', 'usage.ts', 'misuse.ts'], { cwd: consumer, env, encoding: 'utf8', stdio: 'pipe' });
      fs.appendFileSync(path.join(consumer, 'usage.ts'), "\nconst wrong: string = new ivm.Isolate().createContextSync().evalSync('1', { reference: true });\n");
      assert.throws(() => execFileSync(process.execPath, ['check', '--quiet', 'usage.ts'], { cwd: consumer, env, encoding: 'utf8', stdio: 'pipe' }), /TS2322/);
    }
    fs.writeFileSync(path.join(consumer, 'typed.ts'), [
      "import ivm, { Isolate } from 'isolated-vm';",
      "const answer: number = new Isolate().createContextSync().evalSync('6 * 7');",
      'console.log(ivm.Isolate === Isolate, answer);',
    ].join('\n'));
    if (runtime.name !== 'node') {
      assert.equal(run('typed.ts'), 'true 42');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
