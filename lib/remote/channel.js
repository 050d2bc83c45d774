'use strict';
// One end of the channel between a Node process and the child process of an out-of-process
// isolate; both ends run this same code. A message is a frame (a 4-byte length, then the value
// as JSON or in V8's serialization format: see messages.js) holding one of:
//   [CALL, id, target, name, args]  run `name` on the receiver's object `target`
//   [RETURN, id, ok, value]         the outcome of a call, or the settling of a promise
// (a CALL of `forget` on target 0 tells the receiver which of its objects are no longer used,
// one of `warm` does nothing: see `Channel.warm`)
// Every call is synchronous: it writes its CALL and then reads the socket itself, with blocking
// reads (binding.channelRead), until its RETURN comes; calls the other side makes meanwhile are
// served in between, so calls nest both ways as they do in one process. A method that gives a
// promise (the async and ignored variants) answers at once with a promise tag, and its outcome
// comes later as a RETURN under the tag's (negative) id: so arguments are checked, and errors
// thrown, at the call, exactly as in one process. Between calls, the event loop reads the same
// socket: both readers run on this thread and share one buffer of bytes read, so neither sees
// the other's half of a frame.
//
// A stack overflow can happen anywhere in here (the guest decides how deep calls nest), so no
// message may be lost to one: bytes read are kept by a native call with no JavaScript between
// it and their keeping, a frame is written by one native call, a call of the other side is
// taken from the bytes read and counted among those owed an answer with no function call in
// between, and an answer is taken only once handled. Where an overflow left a call owed, a
// shallower frame answers it with the error (`settle`), and a wait that cannot go on throws to
// a shallower one, which handles what it left.

const { TAG } = require('./codec');
const messages = require('./messages');

const CALL = 0;
const RETURN = 1;
// The call by which a side tells the other it let go of objects of the other (target 0).
const FORGET = 'forget';
// The call that only warms the code serving calls (target 0, see `Channel.warm`).
const WARM = 'warm';
// How deep calls may nest through the channel (a host function calling the guest calling a host
// function...): deeper, a call fails at once, before anything is sent, with the RangeError a
// stack overflow gives in one process. Each level holds both runtimes' frames on both sides'
// stacks, and an overflow inside this file's own code can lose a message and leave both sides
// waiting for ever (still possible where each level's own frames are large: see README).
const MAX_DEPTH = 48;
// The message of the RangeError of a stack overflow.
const STACK_OVERFLOW = 'Maximum call stack size exceeded';
// The room kept for each read of the socket, and the size of the buffer frames are written in.
const READ_SIZE = 1 << 16;
const FRAME_SIZE = 1 << 16;

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
    this.bytes = Buffer.allocUnsafe(READ_SIZE);
    this.frame = Buffer.allocUnsafe(FRAME_SIZE); // reused: a frame is written before the next
    this.start = 0; // the bytes read and not yet taken: bytes[start, end)
    this.end = 0;
    this.frameLength = 0; // the length of the frame `next()` gave
    this.nextId = 1;
    this.nextPromiseId = -1;
    this.promises = new Map(); // promise id -> { resolve, reject }
    // This side's calls waiting for their answers, innermost last: their ids, and the answers
    // ([ok, value]) once come. Arrays and a count, not a Map: leaving a level is an assignment,
    // which an overflow cannot stop.
    this.depth = 0;
    this.waiting = [];
    this.answers = [];
    // The other side's calls being served here, innermost last, until answered.
    this.owedCount = 0;
    this.owed = [];
    this.gone = null; // why the channel closed, once it has
    this.ending = null; // { deadline, end }, see `endAt`
    this.drainQueued = false;
    this.released = []; // ids of the other side's objects no longer used here, to tell it
    codec.onRelease = (id) => this.release(id);
    codec.onPromise = (promise) => this.forward(promise);
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

  // Writes, before the channel over `fd` is made (to a child started ahead), a call the other
  // side answers like any but does nothing for, under id 0, for which no call waits (the answer
  // is dropped): its code that reads, serves and answers calls then runs once before the first
  // real call, which would otherwise wait for it to be compiled (most of a new isolate's start).
  static warm(binding, fd) {
    const payload = Buffer.from(messages.serialize([CALL, 0, 0, WARM, []]));
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    payload.copy(frame, 4);
    binding.channelWrite(fd, frame);
  }

  call(target, name, args) {
    if (this.gone !== null) {
      throw this.onGone(this.gone, false);
    }
    if (this.depth >= MAX_DEPTH) {
      throw new RangeError(STACK_OVERFLOW);
    }
    const id = this.nextId++;
    const level = this.depth++;
    this.waiting[level] = id;
    this.answers[level] = undefined;
    try {
      this.send([CALL, id, target, name, this.codec.encode(args)]);
      return this.waitFor(level);
    } finally {
      // An answer that comes after an overflow ended this wait is dropped (see `handle`).
      this.depth = level;
      this.answers[level] = undefined;
      this.drainLater();
    }
  }

  // Whether no call of this side waits for the other: neither a synchronous one (this side may
  // be serving a call of the other inside one) nor a promise.
  idle() {
    return this.depth === 0 && this.promises.size === 0;
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

  // Lets go of this side's objects the other side told it no longer uses.
  forget(ids) {
    for (const id of ids) {
      this.codec.forget(id);
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
    this.write(messages.serialize(message));
  }

  // Writes the frame of `payload` (see messages.js).
  write(payload) {
    const { frame } = this;
    let written;
    // A JSON text of n UTF-16 units is at most 3n bytes of UTF-8.
    if (typeof payload === 'string' && 4 + 3 * payload.length <= frame.length) {
      const length = frame.write(payload, 4);
      frame.writeUInt32LE(length, 0);
      written = this.binding.channelWrite(this.fd, frame.subarray(0, 4 + length));
    } else if (typeof payload === 'string') {
      return this.write(Buffer.from(payload));
    } else if (4 + payload.length <= frame.length) {
      frame.writeUInt32LE(payload.length, 0);
      payload.copy(frame, 4);
      written = this.binding.channelWrite(this.fd, frame.subarray(0, 4 + payload.length));
    } else {
      // A large message is not copied again: its length, then itself.
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32LE(payload.length, 0);
      written = this.binding.channelWrite(this.fd, length, payload);
    }
    if (!written) {
      this.close('closed');
    }
  }

  // Waits for the answer of this side's call at `level`, serving the other side's calls
  // meanwhile.
  waitFor(level) {
    const owedBefore = this.owedCount;
    for (;;) {
      const answer = this.answers[level];
      if (answer !== undefined) {
        if (answer[0]) {
          return answer[1];
        }
        throw answer[1];
      }
      const message = this.next();
      if (message !== undefined) {
        try {
          this.handle(message, this.frameLength);
        } catch (error) {
          this.recover(error, owedBefore);
        }
        continue;
      }
      if (this.gone !== null) {
        throw this.onGone(this.gone, true);
      }
      const room = this.room();
      const { ending } = this;
      const count = ending === null ? this.binding.channelRead(this.fd, room) : this.binding.channelRead(this.fd, room, undefined, Math.max(0, ending.deadline - Date.now()));
      if (count === -1) {
        ending.end(); // which closes the channel: the next turn throws
        continue;
      }
      this.end += count;
      if (count === 0) {
        this.close('closed');
      }
    }
  }

  // From now on, a wait for an answer that lasts past `deadline` (a time of Date.now()) calls
  // `end`, which closes the channel: after dispose(), a child that does not answer cannot keep
  // a synchronous call waiting for ever, as the event loop's checks cannot run meanwhile.
  endAt(deadline, end) {
    this.ending = { deadline, end };
  }

  // After `error` stopped the handling of a message in a frame entered with `owedBefore` calls
  // owed: the calls it left owed are answered with it, from this shallower frame; where it left
  // none (or they cannot be answered from here either), it is this frame's error, and the
  // message, not taken, is handled by a shallower frame.
  recover(error, owedBefore) {
    if (this.owedCount === owedBefore) {
      throw error;
    }
    this.settle(owedBefore, error);
  }

  // Answers the calls owed above the first `count` with `error`, innermost first (the other
  // side waits for the innermost).
  settle(count, error) {
    while (this.owedCount > count) {
      this.answer(this.owed[this.owedCount - 1], false, error);
      this.owedCount--;
    }
  }

  // The free end of the buffer of bytes read, at least READ_SIZE long, to read into.
  room() {
    if (this.bytes.length - this.end < READ_SIZE) {
      this.reserve(READ_SIZE);
    }
    return this.bytes.subarray(this.end);
  }

  // Keeps `chunk` (read by the event loop) after the bytes not yet taken.
  append(chunk) {
    if (this.end + chunk.length > this.bytes.length) {
      this.reserve(chunk.length);
    }
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }

  // Makes room for `more` bytes after those not yet taken, in a buffer that grows by doubling
  // (a large message comes in many reads).
  reserve(more) {
    const needed = this.end - this.start + more;
    const bytes = needed > this.bytes.length ? Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2)) : this.bytes;
    this.bytes.copy(bytes, 0, this.start, this.end);
    this.bytes = bytes;
    this.end -= this.start;
    this.start = 0;
  }

  // The next whole message read, if any, not yet taken (`handle` takes it); its frame's length
  // is `frameLength`.
  next() {
    if (this.start === this.end) {
      this.start = this.end = 0;
    }
    if (this.end - this.start < 4) {
      return undefined;
    }
    const length = this.bytes.readUInt32LE(this.start);
    if (this.end - this.start < 4 + length) {
      return undefined;
    }
    const message = messages.deserialize(this.bytes, this.start + 4, this.start + 4 + length);
    this.frameLength = 4 + length;
    return message;
  }

  // Handles the messages read by the event loop; with `lingerMicros` (the child), it then waits
  // a little for the next one before going back to the loop, so that a burst of calls is served
  // at once instead of waking the loop for each.
  drain() {
    const owedBefore = this.owedCount;
    for (;;) {
      let message;
      while ((message = this.next()) !== undefined) {
        try {
          this.handle(message, this.frameLength);
        } catch (error) {
          this.recover(error, owedBefore);
        }
      }
      if (this.lingerMicros === 0 || this.gone !== null) {
        return;
      }
      const room = this.room();
      const count = this.binding.channelRead(this.fd, room, this.lingerMicros);
      if (count <= 0) {
        if (count === 0) {
          this.close('closed');
        }
        return;
      }
      this.end += count;
    }
  }

  // Handles `message`, the frame of `length` bytes at the start of those read (see the top of
  // this file for the order of its steps).
  handle(message, length) {
    if (message[0] === CALL) {
      this.start += length;
      this.owed[this.owedCount++] = message[1];
      this.run(message, this.owedCount);
      return;
    }
    const [, id, ok, value] = message;
    // Mostly the innermost wait's: an outer one's where the other side, overflowing, gave up a
    // call of this side made inside it (its answer, when it comes, is dropped).
    let level = this.depth - 1;
    while (level >= 0 && this.waiting[level] !== id) {
      level--;
    }
    if (level >= 0) {
      // Decoded now: a promise it holds may be settled by the next message.
      this.answers[level] = [ok, this.codec.decode(value)];
    } else {
      const promise = this.promises.get(id);
      if (promise !== undefined) {
        // Settled before it is let go of: settling twice (where this is handled again) is harmless.
        (ok ? promise.resolve : promise.reject)(this.codec.decode(value));
        this.settled(id);
      }
    }
    this.start += length;
  }

  settled(id) {
    this.promises.delete(id);
    if (this.promises.size === 0 && !this.holdLoop) {
      this.socket.unref();
    }
  }

  // Serves the other side's call, owed an answer at `slot` (counted from 1).
  run([, id, target, name, args], slot) {
    let ok = true;
    let result;
    try {
      if (target === 0 && name === FORGET) {
        result = this.forget(args[0]);
      } else if (target !== 0 || name !== WARM) {
        result = this.serve(target, name, this.codec.decode(args));
      }
    } catch (error) {
      ok = false;
      result = error;
    }
    if (this.owedCount > slot) {
      // Calls served inside this one that an overflow left owed: the other side waits for them.
      this.settle(slot, new RangeError(STACK_OVERFLOW));
    }
    const promised = ok && result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function';
    this.answer(id, ok, promised ? { [TAG]: 'promise', id: this.forward(result) } : result);
    this.owedCount = slot - 1;
  }

  // The id under which the other side's stand-in for `promise` (a thenable of this side) is
  // settled, by a RETURN once it settles (never before the message that gives the id: a
  // thenable's `then` is called later, as a promise's reactions are).
  forward(promise) {
    const id = this.nextPromiseId--;
    Promise.resolve(promise).then((value) => this.answer(id, true, value), (error) => this.answer(id, false, error));
    return id;
  }

  answer(id, ok, value) {
    if (this.gone !== null) {
      return;
    }
    let payload;
    try {
      payload = messages.serialize([RETURN, id, ok, ok && value?.[TAG] === 'promise' ? value : this.codec.encode(value)]);
    } catch (error) {
      if (error instanceof RangeError && error.message === STACK_OVERFLOW) {
        // Not the value's fault: a shallower frame answers (see `settle`).
        throw error;
      }
      const failure = new Error(`isolated-vm: a value could not cross to an out-of-process isolate (${error.message})`);
      payload = messages.serialize([RETURN, id, false, failure]);
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
