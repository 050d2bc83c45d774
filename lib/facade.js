'use strict';
// The facade for Node: the script of lib/facade/, joined as lib/facade/frame.js lays it out (each
// `// @include NAME` line replaced by the file NAME of that folder), which is the script build.rs
// joins for isolates. It runs under this file's name: its frames in Node stacks read
// lib/facade.js, at lines of the joined script.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const folder = path.join(__dirname, 'facade');
const INCLUDE = /^ *\/\/ @include (\S+)$/gm;

const source = fs.readFileSync(path.join(folder, 'frame.js'), 'utf8')
  .replace(INCLUDE, (_, name) => fs.readFileSync(path.join(folder, name), 'utf8'));

module.exports = vm.runInThisContext(source, { filename: __filename });
