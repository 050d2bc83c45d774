'use strict';
// V8 flags for isolated-vm's own V8. The original shares Node's V8, so programs run with
// `node --expose-gc` have `gc()` in their isolates; ours gets the flags the runtime was started
// with (`process.execArgv`, `NODE_OPTIONS`, Deno's `--v8-flags`) and those of
// `ISOLATED_VM_V8_FLAGS`. They are read
// when the first isolate (or snapshot) is made, which starts our V8; the binding applies those
// it supports (see src/flags.rs) and says which it did not, given here as process warnings.

// Splits an option string as Node splits NODE_OPTIONS: on spaces, with double quotes grouping
// and backslashes escaping inside them.
function split(text) {
  const tokens = [];
  let token = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && i + 1 < text.length) {
      token += text[++i];
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (c === ' ' && !quoted) {
      if (started) {
        tokens.push(token);
      }
      token = '';
      started = false;
    } else {
      token += c;
      started = true;
    }
  }
  if (started) {
    tokens.push(token);
  }
  return tokens;
}

// Deno takes V8 flags as `--v8-flags=a,b` among its own options, which process.execArgv leaves
// out: they are read from the process's command line (the options before the script).
function denoV8Flags() {
  if (typeof globalThis.Deno === 'undefined') {
    return [];
  }
  let args;
  try {
    args = require('node:fs').readFileSync('/proc/self/cmdline', 'latin1').split('\0').slice(1);
  } catch {
    return [];
  }
  const options = args[0]?.startsWith('-') ? args : args.slice(1);
  const end = options.findIndex((arg) => !arg.startsWith('-'));
  return options.slice(0, end === -1 ? options.length : end)
    .filter((arg) => arg.startsWith('--v8-flags='))
    .flatMap((arg) => arg.slice('--v8-flags='.length).split(',').filter(Boolean));
}

// The flags this process asks for: its runtime's (`node`, of which only the safe ones apply)
// and ISOLATED_VM_V8_FLAGS's (`explicit`).
function requested() {
  return {
    node: [...split(process.env.NODE_OPTIONS ?? ''), ...process.execArgv, ...denoV8Flags()],
    explicit: split(process.env.ISOLATED_VM_V8_FLAGS ?? ''),
  };
}

// What the child process of an out-of-process isolate applies instead of its own: the flags its
// parent asked for, and the warnings they gave, which the parent emits (see `inherit`).
let inherited;

function apply(binding) {
  const warnings = binding.setV8Flags(...Object.values(inherited?.flags ?? requested()));
  if (inherited !== undefined) {
    inherited.warnings = warnings;
    return;
  }
  emit(warnings);
}

// Whether the warnings were given: once a process, by its first isolate in this process or in a
// child (lib/remote/parent.js), whichever comes first.
let emitted = false;

function emit(warnings) {
  if (emitted) {
    return;
  }
  emitted = true;
  for (const warning of warnings) {
    process.emitWarning(warning, { code: 'ISOLATED_VM_V8_FLAGS' });
  }
}

// Applies the flags just before the binding's first use of V8 in this environment: the
// functions that make an isolate or a snapshot apply them, then step aside.
function applyBeforeFirstIsolate(binding) {
  const starters = ['isolateNew', 'isolateCreateSnapshot'];
  const originals = starters.map((name) => binding[name]);
  const restore = () => starters.forEach((name, i) => { binding[name] = originals[i]; });
  starters.forEach((name, i) => {
    binding[name] = function (...args) {
      restore();
      apply(binding);
      return originals[i].apply(this, args);
    };
  });
}

// For the child of an out-of-process isolate (lib/remote/child.js), before its first isolate:
// its V8 takes `flags`, what its parent's `requested()` gave, instead of the child's own (which
// are for the child's runtime). Gives what the warnings will be read from, once applied.
function inherit(flags) {
  inherited = { flags, warnings: [] };
  return inherited;
}

module.exports = { applyBeforeFirstIsolate, requested, inherit, emit };
