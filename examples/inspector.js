'use strict';
// Serves a Chrome DevTools endpoint for an isolate.
//
//   node examples/inspector.js [port]
//   node examples/inspector.js --self-test   # starts, lists the target over HTTP, exits
//
// Then open the URL it prints in Chrome (or point a DevTools-protocol client at the WebSocket).
// The isolate runs a small program every second; set breakpoints in `file:///example.js`.
//
// IMPORTANT: whoever reaches the inspector can run any code in the isolate, and read anything it
// holds. Never expose this endpoint to untrusted users.

const http = require('node:http');
const { WebSocketServer } = require('ws');
const ivm = require('..');

function serveInspector(isolate, port) {
  const server = http.createServer((request, response) => {
    // DevTools discovers targets through /json/list (and /json).
    if (request.url === '/json' || request.url === '/json/list') {
      const address = `127.0.0.1:${server.address().port}`;
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify([{
        description: 'isolated-vm isolate',
        devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${address}/isolate`,
        id: 'isolate',
        title: 'isolated-vm',
        type: 'node',
        url: 'file:///example.js',
        webSocketDebuggerUrl: `ws://${address}/isolate`,
      }]));
      return;
    }
    if (request.url === '/json/version') {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ Browser: 'isolated-vm', 'Protocol-Version': '1.3' }));
      return;
    }
    response.statusCode = 404;
    response.end();
  });

  const sockets = new WebSocketServer({ server, path: '/isolate' });
  sockets.on('connection', (socket) => {
    // One inspector session per DevTools connection, disposed when it goes away.
    const session = isolate.createInspectorSession();
    const dispose = () => {
      try {
        session.dispose();
      } catch {
        // Already disposed, or the isolate is gone.
      }
    };
    session.onResponse = (callId, message) => socket.send(message);
    session.onNotification = (message) => socket.send(message);
    socket.on('message', (message) => {
      try {
        session.dispatchProtocolMessage(String(message));
      } catch {
        socket.close();
      }
    });
    socket.on('close', dispose);
    socket.on('error', dispose);
  });

  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const port = Number(process.argv[2] ?? 9229);
  const isolate = new ivm.Isolate({ inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const server = await serveInspector(isolate, port);
  const { port: actualPort } = server.address();
  console.log(`DevTools: devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:${actualPort}/isolate`);
  console.log(`Targets:  http://127.0.0.1:${actualPort}/json/list`);

  const script = await isolate.compileScript(`
    function greet(name) {
      const greeting = 'hello ' + name;
      console.log(greeting);
      return greeting;
    }
    greet('world #' + (globalThis.runs = (globalThis.runs ?? 0) + 1));
  `, { filename: 'file:///example.js' });
  // Async runs: the isolate works on a pool thread, so Node's thread stays free to carry the
  // debugger's messages while it is paused.
  const timer = setInterval(() => script.run(context).catch(() => {}), 1000);
  process.on('SIGINT', () => {
    clearInterval(timer);
    server.close();
    isolate.dispose();
  });
}

module.exports = { serveInspector };

async function selfTest() {
  const isolate = new ivm.Isolate({ inspector: true });
  await isolate.createContext({ inspector: true });
  const server = await serveInspector(isolate, 0);
  const [target] = await (await fetch(`http://127.0.0.1:${server.address().port}/json/list`)).json();
  console.log('target:', target.title, target.webSocketDebuggerUrl.replace(/:\d+\//, ':PORT/'));
  server.close();
  isolate.dispose();
}

if (process.argv.includes('--self-test')) {
  selfTest();
} else if (require.main === module) {
  main();
}
