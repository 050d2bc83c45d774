'use strict';
// The runtime running the tests (Node, Bun or Deno), for the tests whose outcome or setup
// differs by runtime, and how to run a script as a child process under the same runtime.
const name = typeof globalThis.Bun !== 'undefined' ? 'bun' : typeof globalThis.Deno !== 'undefined' ? 'deno' : 'node';
const version = name === 'bun' ? globalThis.Bun.version : name === 'deno' ? globalThis.Deno.version.deno : process.versions.node;
const nodeMajor = name === 'node' ? Number(version.split('.')[0]) : undefined;

// The command for `node [flags] script args` under this runtime. `flags` are V8 flags
// (`--expose-gc`), which Deno takes through `--v8-flags`.
function command(script, args = [], flags = []) {
  if (name === 'deno') {
    const v8 = flags.length > 0 ? [`--v8-flags=${flags.join(',')}`] : [];
    return [process.execPath, ['run', '--allow-all', '--quiet', ...v8, script, ...args]];
  }
  return [process.execPath, [...flags, script, ...args]];
}

// `test(name, skipUnless(condition, reason), fn)`: a test skipped, with its reason printed (every
// runner shows the name), where it cannot apply.
function skipUnless(condition, reason) {
  if (condition) {
    return {};
  }
  console.log(`skipped on ${name} ${version}: ${reason}`);
  return { skip: reason };
}

// Whether this run makes every isolate out of process: scripts/test.js runs the API's suites a
// second time so (lib/index.js reads the variable).
const outOfProcess = process.env.ISOLATED_VM_TEST_OUT_OF_PROCESS === '1';

// `test(name, inProcessOnly(reason), fn)`: a test that does not apply to out-of-process isolates,
// with the reason (what cannot cross a process boundary, or differs there: README.md says).
function inProcessOnly(reason) {
  return skipUnless(!outOfProcess, `out of process, ${reason}`);
}

module.exports = { name, version, nodeMajor, command, skipUnless, outOfProcess, inProcessOnly };
