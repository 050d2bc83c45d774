'use strict';
// Long runs of generated hostile programs (test/fixtures/programs.js), each in a child process:
//   node bench/fuzz.js [count=400] [seed=random] [width=2]
// Prints every program that breaks an invariant (with its seed and index to reproduce it with
// `node test/fixtures/fuzz.js <seed> <index>`), then how many ran, how they ended, and the worst
// figures: time over the timeout, resident memory growth over the limit.
const { runBatch, violations, describe } = require('../test/fixtures/fuzz-batch');

async function main() {
  const count = Number(process.argv[2] ?? 400);
  const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
  const width = Number(process.argv[4] ?? 2);
  console.log(`seed ${seed}, ${count} programs, ${width} at a time`);
  const started = Date.now();
  let done = 0;
  const results = await runBatch(seed, count, width, (result) => {
    done++;
    if (violations(result).length > 0) {
      console.log(`FAILED ${describe(result)}`);
    }
    if (done % 50 === 0) {
      console.log(`  ${done} done`);
    }
  });
  const outcomes = new Map();
  for (const result of results) {
    const key = result.crashed !== undefined ? 'crashed' : (result.error ?? 'finished');
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const finished = results.filter((result) => result.crashed === undefined);
  const worst = (key) => finished.reduce((best, result) => (key(result) > key(best) ? result : best), finished[0]);
  const slowest = worst((result) => result.ms - result.timeout);
  const heaviest = worst((result) => result.rssOverLimit);
  console.log(`\n${results.length} programs in ${Math.round((Date.now() - started) / 1000)} s, ${results.filter((r) => violations(r).length > 0).length} broke an invariant`);
  for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${String(n).padStart(5)}  ${outcome}`);
  }
  if (finished.length > 0) {
    console.log(`worst time over the timeout: ${slowest.ms - slowest.timeout} ms (seed ${seed} index ${slowest.index}, ${slowest.timeout} ms timeout)`);
    console.log(`worst resident memory growth: ${heaviest.rssOverLimit} times the limit (seed ${seed} index ${heaviest.index}, ${heaviest.memoryLimit} MB limit)`);
  }
}

main();
