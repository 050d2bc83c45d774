'use strict';
// Loads the native addon for this platform, following napi-rs conventions: a binary next to the
// package (`isolated-vm.<platform>-<arch>[-<abi>].node`, as `npm run build` writes it), else the
// per-platform package (`@isolated-vm-rs/<platform>-<arch>[-<abi>]`) installed as an optional
// dependency. The same loader serves Node, Bun and Deno.

const { existsSync } = require('node:fs');
const path = require('node:path');
const { candidates } = require('./platform');

function load() {
  const { triples, detected } = candidates();
  const tried = [];
  for (const triple of triples) {
    const local = path.join(__dirname, '..', `isolated-vm.${triple}.node`);
    if (existsSync(local)) {
      return require(local);
    }
    tried.push(local);
    const name = `@isolated-vm-rs/${triple}`;
    try {
      return require(name);
    } catch (error) {
      if (error?.code !== 'MODULE_NOT_FOUND' && !/Cannot find (module|package)/.test(String(error?.message))) {
        throw error;
      }
    }
    tried.push(`the package ${name}`);
  }
  throw new Error(`isolated-vm: no native binary for this system (${detected}). Looked for ${tried.join(', ')}.`);
}

module.exports = load();
