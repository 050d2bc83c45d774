#!/usr/bin/env node
'use strict';
// HTTP benchmark of the multi-tenant server's shape (examples/multi-tenant-server.js): a server on
// 127.0.0.1 where each tenant has an isolate with a memory limit and each request runs a small
// tenant handler with a timeout, either in a fresh context (created and released per request) or
// in the tenant's own context (created once, reused). It measures throughput and latency for 1, 8
// and 64 concurrent keep-alive clients, for this package and, when its path is given, the original
// isolated-vm, and prints one markdown table per mode.
//
//   node bench/http.js [path-to-original-isolated-vm] [--rounds N] [--requests N] [--warmup N]
//                      [--levels 1,8,64] [--modes fresh,reuse] [--tenants N]
//
// Each implementation serves from a child process of its own (the original needs
// `node --no-node-snapshot`), started anew for each round and mode, alternating the order between
// rounds. This process is the load generator for both, so its own CPU use is the same on either
// side; the table also shows the server's CPU time per request (all threads of the child), the
// steadier figure on a shared machine. Each server first gets a warm-up (5000 requests by
// default), then every level sends a fixed number of requests after a short warm-up of its own,
// stops early at a deadline, and closes its sockets; each server is told to close and is killed
// if it has not exited soon after.

const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const { args, option } = require('./options');

// The tenant's handler, identical for both implementations.
const HANDLER = `function handle(request) {
  const items = [];
  for (let i = 0; i < 200; i++) {
    items.push({ id: i, score: (request.n * 31 + i * 17) % 101 });
  }
  items.sort((a, b) => b.score - a.score || a.id - b.id);
  return {
    tenant: request.tenant,
    top: items.slice(0, 3).map((item) => item.id),
    total: items.reduce((sum, item) => sum + item.score, 0),
  };
}`;

// A fresh context gets the request as a global and evaluates a call of the handler. A reused
// context is shared by the tenant's concurrent requests, so there the handler is evaluated once
// and each request calls it with the request as its argument.
const MODES = {
  fresh: 'fresh context per request: createContext, global.set, eval with timeout, release',
  reuse: "tenant's context reused: the handler's Reference.apply with timeout",
};

// ---- The server (child process) ----

async function serve(target, mode, tenantCount) {
  const ivm = require(target);
  const tenants = new Map();

  function tenantNamed(name) {
    let tenant = tenants.get(name);
    if (!tenant || tenant.isolate.isDisposed) {
      tenant = { isolate: new ivm.Isolate({ memoryLimit: 32 }), handle: undefined };
      tenants.set(name, tenant);
    }
    return tenant;
  }

  async function run(name, n) {
    const tenant = tenantNamed(name);
    const request = { tenant: name, n };
    let context;
    try {
      if (mode === 'reuse') {
        // The promise is kept, so that concurrent first requests of a tenant share one handler.
        tenant.handle ??= tenant.isolate
          .createContext()
          .then((created) => created.eval(`(${HANDLER})`, { reference: true, filename: `file:///tenants/${name}.js` }));
        const handle = await tenant.handle;
        const result = await handle.apply(undefined, [request], { arguments: { copy: true }, result: { copy: true }, timeout: 1000 });
        return { status: 200, body: { result } };
      }
      context = await tenant.isolate.createContext();
      await context.global.set('request', new ivm.ExternalCopy(request).copyInto());
      const result = await context.eval(`(${HANDLER})(request)`, { timeout: 1000, copy: true, filename: `file:///tenants/${name}.js` });
      return { status: 200, body: { result } };
    } catch (error) {
      return { status: 500, body: { error: error.message } };
    } finally {
      if (context && !tenant.isolate.isDisposed) {
        context.release();
      }
    }
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const name = request.headers['x-tenant'] ?? 'anonymous';
    run(name, Number(url.searchParams.get('n'))).then(({ status, body }) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  // Tenants exist before the first measured request, as in a server that has been up a while.
  for (let i = 0; i < tenantCount; i++) {
    tenantNamed(`tenant${i}`);
  }

  let closed = false;
  function close() {
    if (closed) {
      return;
    }
    closed = true;
    server.close();
    server.closeAllConnections();
    for (const { isolate } of tenants.values()) {
      if (!isolate.isDisposed) {
        isolate.dispose();
      }
    }
    if (process.connected) {
      process.disconnect();
    }
    // Nothing should keep the process alive now; if something does, leave all the same.
    setTimeout(() => process.exit(0), 5000).unref();
  }
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    } else if (message === 'close') {
      close();
    }
  });
  // The load generator went away: stop too.
  process.on('disconnect', close);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send({ port: server.address().port });
}

// ---- The load generator (this process) ----

function get(agent, port, tenant, n) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: `/?n=${n}`, agent, headers: { 'x-tenant': tenant } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', reject);
    });
    request.setTimeout(10_000, () => request.destroy(new Error('no response within 10 s')));
    request.on('error', reject);
  });
}

function expected(tenant, n) {
  return JSON.stringify({ result: vm.runInNewContext(`(${HANDLER})(request)`, { request: { tenant, n } }) });
}

// Sends `count` requests from `clients` concurrent keep-alive clients (fewer if the deadline
// passes first); returns the latency of each, in ms.
async function load(port, clients, count, tenantCount, deadline) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let issued = 0;
  async function client() {
    while (issued < count && performance.now() < deadline) {
      const n = issued++;
      const tenant = `tenant${n % tenantCount}`;
      const start = performance.now();
      const { status, body } = await get(agent, port, tenant, n);
      latencies.push(performance.now() - start);
      // Every hundredth answer is checked in full, the others by status.
      if (status !== 200 || (n % 100 === 0 && body !== expected(tenant, n))) {
        throw new Error(`request ${n} of ${tenant}: ${status} ${body}`);
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    agent.destroy();
  }
  return latencies;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function startServer(target, nodeFlags, mode, tenantCount) {
  const child = spawn(process.execPath, [...nodeFlags, __filename, '--serve', target, '--mode', mode, '--tenants', String(tenantCount)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const replies = [];
  let waiting;
  child.on('message', (message) => {
    replies.push(message);
    waiting?.();
  });
  async function reply() {
    while (replies.length === 0) {
      const gone = await Promise.race([new Promise((resolve) => (waiting = resolve)), exited.then(() => true)]);
      if (gone === true && replies.length === 0) {
        throw new Error(`the server of ${target} exited`);
      }
    }
    return replies.shift();
  }
  return {
    port: async () => (await reply()).port,
    cpu: async () => {
      child.send('cpu');
      return (await reply()).cpu;
    },
    async stop() {
      if (child.connected) {
        child.send('close');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const status = await exited;
      clearTimeout(timer);
      if (status !== 0) {
        throw new Error(`the server of ${target} ended with ${status}`);
      }
    },
  };
}

// One server, every level: returns { [clients]: { rps, p50, p99, serverCpu, clientCpu, count } }.
async function measureServer(target, nodeFlags, mode, { levels, requests, warmUp, tenantCount }) {
  const server = startServer(target, nodeFlags, mode, tenantCount);
  const results = {};
  try {
    const port = await server.port();
    // Both sides need some thousands of requests before their figures settle (JIT tiers in Node
    // and in every tenant's isolate): the levels measure a server that has been up a while.
    await load(port, 8, warmUp, tenantCount, performance.now() + 60_000);
    for (const clients of levels) {
      // New sockets, and the server's code paths at this concurrency.
      await load(port, clients, Math.max(200, Math.ceil(requests / 10)), tenantCount, performance.now() + 30_000);
      const serverCpu = await server.cpu();
      const clientCpu = process.cpuUsage();
      const start = performance.now();
      const latencies = await load(port, clients, requests, tenantCount, start + 60_000);
      const wall = performance.now() - start;
      const { user, system } = process.cpuUsage(clientCpu);
      const count = latencies.length;
      latencies.sort((a, b) => a - b);
      results[clients] = {
        count,
        rps: (count * 1000) / wall,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        serverCpu: ((await server.cpu()) - serverCpu) / count,
        clientCpu: (user + system) / count,
      };
    }
  } finally {
    await server.stop();
  }
  return results;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  const rounds = Number(option('--rounds') ?? 3);
  const requests = Number(option('--requests') ?? 2000);
  const warmUp = Number(option('--warmup') ?? 5000);
  const levels = (option('--levels') ?? '1,8,64').split(',').map(Number);
  const modes = (option('--modes') ?? 'fresh,reuse').split(',');
  const tenantCount = Number(option('--tenants') ?? 8);
  const original = args[0] ? path.resolve(args[0]) : undefined;
  for (const mode of modes) {
    if (!MODES[mode]) {
      throw new Error(`unknown mode ${mode}: use ${Object.keys(MODES).join(', ')}`);
    }
  }
  const sides = [['ours', path.join(__dirname, '..'), []]];
  if (original) {
    sides.push(['original', original, ['--no-node-snapshot']]);
  }
  // Other processes on the machine take CPU from the servers: the footer shows how busy it was.
  const loadBefore = os.loadavg()[0];
  // samples[mode][side][clients] is a list of one result per round.
  const samples = {};
  for (let round = 0; round < rounds; round++) {
    for (const [side, target, flags] of round % 2 === 0 ? sides : [...sides].reverse()) {
      for (const mode of modes) {
        const results = await measureServer(target, flags, mode, { levels, requests, warmUp, tenantCount });
        for (const [clients, result] of Object.entries(results)) {
          ((samples[mode] ??= {})[side] ??= {})[clients] ??= [];
          samples[mode][side][clients].push(result);
        }
      }
    }
  }

  const pick = (list, key) => median(list.map((result) => result[key]));
  const sideNames = sides.map(([side]) => side);
  for (const mode of modes) {
    const rows = levels.map((clients) => {
      const of = (side) => samples[mode][side][clients];
      return [
        String(clients),
        ...sideNames.map((side) => pick(of(side), 'rps').toFixed(0)),
        ...sideNames.map((side) => `${pick(of(side), 'p50').toFixed(2)} / ${pick(of(side), 'p99').toFixed(2)}`),
        ...sideNames.map((side) => pick(of(side), 'serverCpu').toFixed(0)),
        pick(sideNames.flatMap(of), 'clientCpu').toFixed(0),
      ];
    });
    const header = [
      'clients',
      ...sideNames.map((side) => `${side} req/s`),
      ...sideNames.map((side) => `${side} p50/p99 ms`),
      ...sideNames.map((side) => `${side} server CPU µs/req`),
      'client CPU µs/req',
    ];
    console.log(`\n${MODES[mode]}:\n\n${table(header, rows)}`);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} CPUs (${cpu}), ` +
      `${requests} requests per level after a warm-up of ${warmUp}, ${tenantCount} tenants, median of ${rounds} rounds; ` +
      `load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after.`,
  );
}

if (args[0] === '--serve') {
  const mode = option('--mode');
  const tenantCount = Number(option('--tenants'));
  serve(path.resolve(args[1]), mode, tenantCount);
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
