'use strict';
// Inspector sessions of out-of-process isolates. A session lives in the child, next to its
// isolate: there, a ChildSession wraps the in-process session; here, the stand-in for it (whose
// prototype `sessionPrototype` makes) forwards every use to it over the channel. The handlers a
// user sets are this process's functions, which the child's session calls through the channel
// just as it calls them in one process: `(callId, message)` for a response, `(message)` for a
// notification. What the in-process session checks (arguments, a dead session) it checks there,
// with its own errors; only where the child is gone does the error come from here.
//
// In one process, a dispatched message keeps the caller's event loop alive until the isolate has
// handled it (so that the answer can come). Here, the child answers a dispatch with a promise it
// settles then (binding.sessionDispatch's `handled`), and a promise of the channel pending
// holds this process's event loop in the same way.

const SESSION_DEAD = 'Session is dead';

// --- In this process ----------------------------------------------------------------------------

// The prototype of the stand-ins for a child's sessions, inheriting from the in-process Session's
// (`base`) so that they read as sessions. `call(object, name, args)` and `owner(object)` are
// parent.js's: a call on the child's object, and what a stand-in stands for.
function sessionPrototype(base, call, owner) {
  const forward = (session, name, args) => {
    if (owner(session).state.gone !== null) {
      // As for an in-process session whose isolate was disposed.
      throw new Error(SESSION_DEAD);
    }
    return call(session, name, args);
  };
  const accessors = (key) => ({
    get() { return forward(this, `get ${key}`, []); },
    set(value) { forward(this, `set ${key}`, [value]); },
    configurable: true,
  });
  return Object.create(base, {
    dispatchProtocolMessage: {
      value: function dispatchProtocolMessage(message) {
        // The promise only holds the event loop; it fails if the child goes first.
        forward(this, 'dispatchProtocolMessage', [...arguments]).catch(() => {});
      },
      configurable: true,
      writable: true,
    },
    dispose: { value: function dispose() { forward(this, 'dispose', []); }, configurable: true, writable: true },
    onNotification: accessors('onNotification'),
    onResponse: accessors('onResponse'),
  });
}

// `isolate.createInspectorSession()` for an out-of-process isolate.
function createSession(isolate, call, owner) {
  if (owner(isolate).state.gone !== null) {
    // Sic: isolated-vm's wording, as in one process.
    throw new Error('Isolate is diposed');
  }
  return call(isolate, 'createInspectorSession', []);
}

// --- In the child -------------------------------------------------------------------------------

// The child's object for a session of its isolate, whose methods and accessors the child's
// `serve` runs by name for the stand-in in the parent.
class ChildSession {
  #binding;
  #session;

  constructor(binding, isolate) {
    this.#binding = binding;
    this.#session = isolate.createInspectorSession();
  }

  // Gives a promise settled once the isolate has handled the message (see above).
  dispatchProtocolMessage(...args) {
    const [message] = args;
    if (args.length === 0 || typeof message !== 'string') {
      // Throws the in-process method's TypeError for what it was given.
      this.#session.dispatchProtocolMessage(...args);
    }
    let handled;
    const promise = new Promise((resolve) => { handled = resolve; });
    this.#binding.sessionDispatch(this.#session, message, handled);
    return promise;
  }

  dispose() {
    this.#session.dispose();
  }

  get onNotification() { return this.#session.onNotification; }
  set onNotification(value) { this.#session.onNotification = value; }
  get onResponse() { return this.#session.onResponse; }
  set onResponse(value) { this.#session.onResponse = value; }
}

module.exports = { sessionPrototype, createSession, ChildSession };
