'use strict';
// The process's peak resident memory over a stretch of time, the same way on every runtime:
// Linux lets a process reset its peak (VmHWM) to its current resident memory. (The runtime's own
// `maxRSS` counts from the process's start, which Bun and Deno reach above where a test begins.)
const fs = require('node:fs');

/** Starts a stretch: the peak from now on. */
function resetPeak() {
  fs.writeFileSync('/proc/self/clear_refs', '5');
}

/** The process's current and peak resident memory, in bytes. */
function residentMemory() {
  const status = fs.readFileSync('/proc/self/status', 'latin1');
  const kilobytes = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))[1]);
  return { current: kilobytes('VmRSS') * 1024, peak: kilobytes('VmHWM') * 1024 };
}

module.exports = { resetPeak, residentMemory };
