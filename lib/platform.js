'use strict';
// Which native binary fits this process: `<platform>-<arch>[-<abi>]` in napi-rs's names. On
// Linux the C library decides the ABI (`gnu` or `musl`); it is read from what the process has
// loaded (/proc/self/maps), which every runtime can see, and otherwise from Node's diagnostic
// report, which Bun and Deno only imitate. Used by the loader and the build script.

const { readFileSync } = require('node:fs');
const path = require('node:path');

// The C library, and how it was found; `undefined` when nothing told.
function linuxLibc() {
  try {
    const libraries = readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => path.basename(line.trim().split(/\s+/).pop() ?? ''));
    if (libraries.some((name) => /^ld-musl-|^libc\.musl/.test(name))) {
      return { abi: 'musl', source: '/proc/self/maps' };
    }
    if (libraries.includes('libc.so.6')) {
      return { abi: 'gnu', source: '/proc/self/maps' };
    }
  } catch {
    // Not readable (Deno without --allow-read): ask the report.
  }
  try {
    const header = typeof process.report?.getReport === 'function' ? process.report.getReport()?.header : undefined;
    if (typeof header?.glibcVersionRuntime === 'string') {
      return { abi: 'gnu', source: 'process.report' };
    }
  } catch {
    // Deno without --allow-sys refuses the report.
  }
  return undefined;
}

// The triples to try, best first, and a description of how they were chosen (for errors).
function candidates() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') {
    return { triples: [base], detected: `platform ${process.platform}, architecture ${process.arch}` };
  }
  const libc = linuxLibc();
  if (libc === undefined) {
    return { triples: [`${base}-gnu`, `${base}-musl`], detected: `platform linux, architecture ${process.arch}, C library unknown (neither /proc/self/maps nor process.report told)` };
  }
  return { triples: [`${base}-${libc.abi}`], detected: `platform linux, architecture ${process.arch}, C library ${libc.abi === 'gnu' ? 'glibc' : 'musl'} (from ${libc.source})` };
}

module.exports = { candidates };
