'use strict';
// A multi-tenant HTTP server: each request's code runs in a fresh context of a shared isolate,
// with a timeout, and gets only the data the host hands it.
//
//   node examples/multi-tenant-server.js [port]        # then: curl -d '1 + 1' localhost:8080
//   node examples/multi-tenant-server.js --self-test   # starts, sends a few requests, exits

const http = require('node:http');
const ivm = require('..');

function createServer() {
  // One isolate per server keeps the memory cost low; each request gets its own context, so
  // tenants never see each other's globals. (One isolate per tenant would isolate their memory
  // limits and CPU too.)
  let isolate = new ivm.Isolate({ memoryLimit: 64 });

  async function runForTenant(tenant, code) {
    if (isolate.isDisposed) {
      // A previous tenant blew the memory limit: start over for the others.
      isolate = new ivm.Isolate({ memoryLimit: 64 });
    }
    const context = await isolate.createContext();
    try {
      await context.global.set('tenant', new ivm.ExternalCopy({ name: tenant, plan: 'free' }).copyInto());
      const result = await context.eval(code, { timeout: 1000, copy: true, filename: `file:///tenants/${tenant}.js` });
      return { status: 200, body: { result } };
    } catch (error) {
      return { status: 400, body: { error: error.message } };
    } finally {
      if (!isolate.isDisposed) {
        context.release();
      }
    }
  }

  return http.createServer((request, response) => {
    let code = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      code += chunk;
    });
    request.on('end', async () => {
      const tenant = request.headers['x-tenant'] ?? 'anonymous';
      const { status, body } = await runForTenant(tenant, code);
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
}

async function selfTest() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const post = async (tenant, code) => {
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: code, headers: { 'x-tenant': tenant } });
    return `${response.status} ${await response.text()}`;
  };
  console.log(await post('alice', 'tenant.name + " on " + tenant.plan'));
  console.log(await post('bob', 'globalThis.leak = "secret"; [1, 2, 3].map((x) => x * 2)'));
  console.log(await post('carol', 'typeof leak'));
  console.log(await post('mallory', 'for (;;) {}'));
  // 8 MB at a time: the memory limit stops it long before its second is up, however busy the machine.
  console.log(await post('mallory', 'const keep = []; for (;;) keep.push(new Array(1e6).fill(0));'));
  console.log(await post('dave', '"still serving"'));
  // Idle keep-alive connections would keep some runtimes (Deno) waiting: close them too.
  server.close();
  server.closeAllConnections();
}

if (process.argv.includes('--self-test')) {
  selfTest();
} else if (require.main === module) {
  const port = Number(process.argv[2] ?? 8080);
  createServer().listen(port, () => console.log(`listening on http://localhost:${port}`));
}
