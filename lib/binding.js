'use strict';
// Loads the native addon for this platform, following napi-rs conventions: a binary next to the
// package (`isolated-vm.<platform>-<arch>[-<abi>].node`, as `npm run build` writes it), else the
// per-platform package (`@isolated-vm-rs/<platform>-<arch>[-<abi>]`) installed as an optional
// dependency.

const { existsSync } = require('node:fs');
const path = require('node:path');

function abi() {
  if (process.platform !== 'linux') {
    return '';
  }
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  const glibc = report?.header?.glibcVersionRuntime;
  return glibc ? '-gnu' : '-musl';
}

const triple = `${process.platform}-${process.arch}${abi()}`;
const local = path.join(__dirname, '..', `isolated-vm.${triple}.node`);

function load() {
  if (existsSync(local)) {
    return require(local);
  }
  try {
    return require(`@isolated-vm-rs/${triple}`);
  } catch (error) {
    throw new Error(`isolated-vm: no native binary for ${triple}. Expected ${local} or the package @isolated-vm-rs/${triple}.`, { cause: error });
  }
}

module.exports = load();
