#!/usr/bin/env node
'use strict';
// Checks the layering src/lib.rs states: a module of src/ names (`crate::name`) only modules of
// its own layer or of layers below. The layers are the lines of lib.rs's list "Layers, lowest
// first", each holding the crate's top-level modules named in backquotes on it. The crate root
// itself (lib.rs), which wires the front-ends to the layers below at load, is exempt. Prints
// each reference that breaks the rule and fails if there is one.
//
//   node scripts/layers.js [--src <folder>]   (default: this repository's src/)

const fs = require('node:fs');
const path = require('node:path');

const at = process.argv.indexOf('--src');
const src = at === -1 ? path.join(__dirname, '..', 'src') : path.resolve(process.argv[at + 1]);
const modules = new Set(fs.readdirSync(src).map((entry) => entry.replace(/\.rs$/, '')).filter((name) => name !== 'lib'));

// The layer of each module, from the list at the top of lib.rs.
function layers() {
  const header = fs.readFileSync(path.join(src, 'lib.rs'), 'utf8').split('\n').filter((line) => line.startsWith('//!'));
  const start = header.findIndex((line) => line.includes('Layers, lowest first'));
  if (start === -1) {
    throw new Error('src/lib.rs has no list "Layers, lowest first"');
  }
  const levels = new Map();
  let level = 0;
  for (const line of header.slice(start + 1)) {
    if (line.startsWith('//! - ')) {
      level++;
    } else if (!line.startsWith('//!   ')) {
      if (level > 0) break;
      continue;
    }
    for (const [, name] of line.matchAll(/`([a-z_]+)`/g)) {
      if (modules.has(name) && !levels.has(name)) {
        levels.set(name, level);
      }
    }
  }
  return levels;
}

function rustFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? rustFiles(full) : entry.name.endsWith('.rs') ? [full] : [];
  });
}

const level = layers();
const unplaced = [...modules].filter((name) => !level.has(name));
const problems = unplaced.map((name) => `src/${name}: not in any layer of src/lib.rs`);
for (const file of rustFiles(src)) {
  const relative = path.relative(src, file);
  const owner = relative.split(path.sep)[0].replace(/\.rs$/, '');
  if (owner === 'lib') {
    continue;
  }
  // Comments may name anything.
  const code = fs.readFileSync(file, 'utf8').split('\n').map((line) => line.replace(/\/\/.*$/, ''));
  code.forEach((line, index) => {
    // `crate::name` and the names of a group, `crate::{name::Item, other}`.
    const named = [...line.matchAll(/\bcrate::([a-z_]+)/g)].map((match) => match[1]);
    for (const [, group] of line.matchAll(/\bcrate::\{([^}]*)/g)) {
      named.push(...group.split(',').map((item) => item.trim().split(/[^a-z_]/)[0]).filter(Boolean));
    }
    for (const name of named) {
      if (name !== owner && level.has(name) && level.get(name) > level.get(owner)) {
        problems.push(`src/${relative}:${index + 1}: ${owner} names crate::${name}, a layer above it`);
      }
    }
  });
}
for (const problem of problems) {
  console.error(problem);
}
if (problems.length > 0) {
  process.exit(1);
}
console.log(`layers: ${level.size} modules in ${new Set(level.values()).size} layers, no module names one above it`);
