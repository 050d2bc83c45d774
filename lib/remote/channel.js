'use strict';
// One end of the channel between a Node process and the child process of an out-of-process
// isolate; both ends run this same code. A message is a frame (a 4-byte length, then the value
// in V8's serialization format) holding one of:
//   [CALL, id, target, name, args]  run `name` on the receiver's object `target`
//   [RETURN, id, ok, value]         the outcome of a call, or the settling of a promise
// (a CALL of `forget` on target 0 tells the receiver which of its objects are no longer used)
// Every call is synchronous: it writes its CALL and then reads the socket itself, with blocking
// reads (binding.channelRead), until its RETURN comes; calls the other side makes meanwhile are
// served in between, so calls nest both ways as they do in one process. A method that gives a
// promise (the async and ignored variants) answers at once with a promise tag, and its outcome
// comes later as a RETURN under the tag's (negative) id: so arguments are checked, and errors
// thrown, at the call, exactly as in one process. Between calls, the event loop reads the same
// socket: both readers run on this thread and share one buffer of bytes read, so neither sees
// the other's half of a frame.

const v8 = require('node:v8');
const { TAG } = require('./codec');

const CALL = 0;
const RETURN = 1;
// The call by which a side tells the other it let go of objects of the other (target 0).
const FORGET = 'forget';
// How deep calls may nest through the channel (a host function calling the guest calling a host
// function...): deeper, a call fails at once, before anything is sent, with the RangeError a
// stack overflow gives in one process. Each level holds both runtimes' frames on both sides'
// stacks, and an overflow inside this file's own code can lose a message and leave both sides
// waiting for ever (still possible where each level's own frames are large: see README).
const MAX_DEPTH = 48;

class Channel {
  // `serve(target, name, args)` runs a call of the other side (giving a value, or a promise);
  // `onGone(reason, pending)` gives the error for a call that was pending (or made later) once
  // the other side went away (`reason` 'closed') or this side closed the channel. Values cross
  // through `codec` (codec.js). `holdLoop`: whether the socket keeps the event loop alive when
  // no promise is pending; `lingerMicros`: how long to wait for more after handling what the
  // event loop read.
  constructor(binding, fd, socket, codec, serve, onGone, { holdLoop, lingerMicros }) {
    this.binding = binding;
    this.fd = fd;
    this.socket = socket;
    this.codec = codec;
    this.serve = serve;
    this.onGone = onGone;
    this.holdLoop = holdLoop;
    this.lingerMicros = lingerMicros;
    this.bytes = Buffer.allocUnsafe(1 << 16);
    this.start = 0; // the bytes read and not yet taken: bytes[start, end)
    this.end = 0;
    this.scratch = Buffer.allocUnsafe(1 << 16);
    this.nextId = 1;
    this.nextPromiseId = -1;
    this.promises = new Map(); // promise id -> { resolve, reject }
    this.answers = new Map(); // call id -> [ok, value], for calls waiting (nested waits)
    this.gone = null; // why the channel closed, once it has
    this.drainQueued = false;
    this.released = []; // ids of the other side's objects no longer used here, to tell it
    codec.onRelease = (id) => this.release(id);
    if (!holdLoop) {
      socket.unref();
    }
    socket.on('data', (chunk) => {
      this.append(chunk);
      this.drain();
    });
    socket.on('close', () => this.close('closed'));
    socket.on('error', () => this.close('closed'));
  }

  call(target, name, args) {
    if (this.gone !== null) {
      throw this.onGone(this.gone, false);
    }
    if (this.answers.size >= MAX_DEPTH) {
      throw new RangeError('Maximum call stack size exceeded');
    }
    const id = this.nextId++;
    this.answers.set(id, undefined);
    try {
      this.send([CALL, id, target, name, this.codec.encode(args)]);
      return this.waitFor(id);
    } finally {
      this.answers.delete(id);
      this.drainLater();
    }
  }

  // Messages read with an answer, after it: no event will come for them, so they are handled
  // as soon as this turn of the event loop ends.
  drainLater() {
    if (this.end > this.start && !this.drainQueued) {
      this.drainQueued = true;
      setImmediate(() => {
        this.drainQueued = false;
        this.drain();
      });
    }
  }

  // Tells the other side, in one call once this turn of the event loop ends, that it may let go
  // of its object `id` (see Codec#track).
  release(id) {
    if (this.released.push(id) === 1) {
      setImmediate(() => {
        const ids = this.released.splice(0);
        if (this.gone === null) {
          this.call(0, FORGET, [ids]);
        }
      });
    }
  }

  // Sends a call without waiting for its answer, which is dropped when it comes: for telling the
  // other side something when it may be too busy or stuck to answer.
  tell(target, name, args) {
    if (this.gone === null) {
      this.send([CALL, this.nextId++, target, name, this.codec.encode(args)]);
    }
  }

  // A function of this side that calls the other side's function `id`, with its name and length.
  forwarder(id, name, length) {
    const channel = this;
    const forward = function (...args) { return channel.call(id, 'call', args); };
    return Object.defineProperties(forward, { name: { value: name }, length: { value: length } });
  }

  // The promise the other side settles under `id`.
  promise(id) {
    if (this.promises.size === 0 && !this.holdLoop) {
      this.socket.ref();
    }
    return new Promise((resolve, reject) => this.promises.set(id, { resolve, reject }));
  }

  send(message) {
    this.write(v8.serialize(message));
  }

  write(payload) {
    try {
      if (payload.length < 1 << 16) {
        const frame = Buffer.allocUnsafe(4 + payload.length);
        frame.writeUInt32LE(payload.length, 0);
        payload.copy(frame, 4);
        this.binding.channelWrite(this.fd, frame);
      } else {
        // A large message is not copied again: its length, then itself.
        const length = Buffer.allocUnsafe(4);
        length.writeUInt32LE(payload.length, 0);
        this.binding.channelWrite(this.fd, length);
        this.binding.channelWrite(this.fd, payload);
      }
    } catch {
      this.close('closed');
    }
  }

  waitFor(id) {
    for (;;) {
      const answer = this.answers.get(id);
      if (answer !== undefined) {
        if (answer[0]) {
          return answer[1];
        }
        throw answer[1];
      }
      const message = this.next();
      if (message !== undefined) {
        this.handle(message);
        continue;
      }
      if (this.gone !== null) {
        throw this.onGone(this.gone, true);
      }
      const count = this.binding.channelRead(this.fd, this.scratch);
      if (count === 0) {
        this.close('closed');
      } else {
        this.append(this.scratch.subarray(0, count));
      }
    }
  }

  // Keeps `chunk` after the bytes not yet taken, in a buffer that grows by doubling (a large
  // message comes in many reads).
  append(chunk) {
    const needed = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.bytes.length) {
      const bytes = needed > this.bytes.length ? Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2)) : this.bytes;
      this.bytes.copy(bytes, 0, this.start, this.end);
      this.bytes = bytes;
      this.end -= this.start;
      this.start = 0;
    }
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }

  // The next whole message read, if any.
  next() {
    if (this.end - this.start < 4) {
      return undefined;
    }
    const length = this.bytes.readUInt32LE(this.start);
    if (this.end - this.start < 4 + length) {
      return undefined;
    }
    const message = v8.deserialize(this.bytes.subarray(this.start + 4, this.start + 4 + length));
    this.start += 4 + length;
    if (this.start === this.end) {
      this.start = this.end = 0;
    }
    return message;
  }

  // Handles the messages read by the event loop; with `lingerMicros` (the child), it then waits
  // a little for the next one before going back to the loop, so that a burst of calls is served
  // at once instead of waking the loop for each.
  drain() {
    for (;;) {
      let message;
      while ((message = this.next()) !== undefined) {
        this.handle(message);
      }
      if (this.lingerMicros === 0 || this.gone !== null) {
        return;
      }
      const count = this.binding.channelRead(this.fd, this.scratch, this.lingerMicros);
      if (count <= 0) {
        if (count === 0) {
          this.close('closed');
        }
        return;
      }
      this.append(this.scratch.subarray(0, count));
    }
  }

  handle(message) {
    if (message[0] === CALL) {
      this.run(message);
      return;
    }
    const [, id, ok, value] = message;
    if (this.answers.has(id)) {
      // Decoded now: a promise it holds may be settled by the next message.
      this.answers.set(id, [ok, this.codec.decode(value)]);
      return;
    }
    const promise = this.promises.get(id);
    if (promise !== undefined) {
      this.settled(id);
      (ok ? promise.resolve : promise.reject)(this.codec.decode(value));
    }
  }

  settled(id) {
    this.promises.delete(id);
    if (this.promises.size === 0 && !this.holdLoop) {
      this.socket.unref();
    }
  }

  run([, id, target, name, args]) {
    if (target === 0 && name === FORGET) {
      for (const forgotten of args[0]) {
        this.codec.forget(forgotten);
      }
      this.answer(id, true, undefined);
      return;
    }
    let result;
    try {
      result = this.serve(target, name, this.codec.decode(args));
    } catch (error) {
      this.answer(id, false, error);
      return;
    }
    if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof result.then !== 'function') {
      this.answer(id, true, result);
      return;
    }
    const promiseId = this.nextPromiseId--;
    this.answer(id, true, { [TAG]: 'promise', id: promiseId });
    result.then((value) => this.answer(promiseId, true, value), (error) => this.answer(promiseId, false, error));
  }

  answer(id, ok, value) {
    if (this.gone !== null) {
      return;
    }
    let payload;
    try {
      payload = v8.serialize([RETURN, id, ok, ok && value?.[TAG] === 'promise' ? value : this.codec.encode(value)]);
    } catch (error) {
      const failure = new Error(`isolated-vm: a value could not cross to an out-of-process isolate (${error.message})`);
      payload = v8.serialize([RETURN, id, false, failure]);
    }
    this.write(payload);
  }

  close(reason) {
    if (this.gone !== null) {
      return;
    }
    this.gone = reason;
    const promises = [...this.promises.values()];
    this.promises.clear();
    const error = this.onGone(reason, true);
    for (const { reject } of promises) {
      reject(error);
    }
  }
}

module.exports = { Channel };
