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

function apply(binding) {
  const node = [...split(process.env.NODE_OPTIONS ?? ''), ...process.execArgv, ...denoV8Flags()];
  const explicit = split(process.env.ISOLATED_VM_V8_FLAGS ?? '');
  for (const warning of binding.setV8Flags(node, explicit)) {
    process.emitWarning(warning, { code: 'ISOLATED_VM_V8_FLAGS' });
  }
}

// Applies the flags just before the binding's first use of V8 in this environment: the
// functions that make an isolate or a snapshot apply them, then step aside.
module.exports = function applyBeforeFirstIsolate(binding) {
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
};
