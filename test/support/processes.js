'use strict';
// This process's children as Linux shows them in /proc, for the tests and the benchmark of
// out-of-process isolates (each isolate's child is a process of its own).
const fs = require('node:fs');
const path = require('node:path');

// A process's fields after its name in /proc/<pid>/stat (state first), or undefined once gone.
function stat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// Whether `pid` still runs (a zombie has ended: its memory is returned).
function running(pid) {
  const fields = stat(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

// The running children of this process that run lib/remote/child.js.
function isolateChildren() {
  const child = path.join('remote', 'child.js');
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    if (Number(stat(pid)?.[1]) !== process.pid || !running(pid)) {
      return false;
    }
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(child);
    } catch {
      return false;
    }
  });
}

// CPU time `pid` has used, in clock ticks (0 once gone).
function cpuTicks(pid) {
  const fields = stat(pid);
  return fields === undefined ? 0 : Number(fields[11]) + Number(fields[12]);
}

// Resident memory of `pid`, in KB.
function residentKb(pid) {
  return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)[1]);
}

// Resolves with whether `pid` ended within `ms` (a generous bound: it only fails a test where the
// process would never end).
async function ended(pid, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (running(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !running(pid);
}

// A new out-of-process isolate of `ivm` and the pid of its child: a new child, or else the spare
// started ahead, which is the newest (lib/remote/parent.js starts one after each isolate).
function startIsolate(ivm, options = {}) {
  const before = isolateChildren();
  const isolate = new ivm.Isolate({ ...options, outOfProcess: true });
  const [started] = isolateChildren().filter((each) => !before.includes(each));
  return { isolate, pid: started ?? Math.max(...before) };
}

module.exports = { running, isolateChildren, cpuTicks, residentKb, ended, startIsolate };
