'use strict';
// The main thread's end of the bridge: one ordered channel for every call, async or Sync.
//
// A worker thread owns the `mpstore bridge` process (see worker.js). Async calls post their
// request and get their answer as a message later. Sync calls post theirs, then block this
// thread in Atomics.wait until the worker has put the answer on a dedicated MessagePort, and
// read it with receiveMessageOnPort: a real blocking round trip, in order with every earlier call.

const path = require('node:path');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { encode } = require('./tagged');

class BridgeError extends Error {
  /** @param {string} message @param {string} [kind] */
  constructor(message, kind) {
    super(message);
    this.name = 'MpstoreBridgeError';
    /** The bridge's error kind (docs/bridge.md), or 'bridge_gone' when the process is gone. */
    this.kind = kind ?? 'bridge_gone';
  }
}

class Channel {
  /**
   * @param {string} bin the mpstore executable
   * @param {string[]} args its arguments (`bridge --data-dir …`)
   */
  constructor(bin, args) {
    this.signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.syncPort = port1;
    // Read only with receiveMessageOnPort: it must never hold the process open.
    this.syncPort.unref();
    this.worker = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: { bin, args, signal: this.signal.buffer, syncPort: port2 },
      transferList: [port2],
    });
    /** @type {Map<number, (answer: {line?: string, failure?: string}) => void>} */
    this.pending = new Map();
    this.nextId = 1;
    this.closed = null;
    this.onClosed = null;
    this.worker.on('message', (msg) => this.receive(msg));
    this.worker.on('error', (err) => this.abandon(`the mpstore bridge worker failed: ${err.message}`));
    // Idle, the worker does not keep the process alive; a call in flight does (see refresh).
    this.worker.unref();
  }

  /** Keeps the process alive exactly while an async answer or the close is awaited. */
  refresh() {
    if (this.pending.size > 0 || this.onClosed) this.worker.ref();
    else this.worker.unref();
  }

  receive(msg) {
    if (msg.type === 'answer') {
      const resolve = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.refresh();
      if (resolve) resolve(msg);
    } else if (msg.type === 'closed') {
      const done = this.onClosed;
      this.onClosed = null;
      this.refresh();
      if (done) done();
    }
  }

  abandon(reason) {
    for (const [, resolve] of this.pending) resolve({ failure: reason });
    this.pending.clear();
    const done = this.onClosed;
    this.onClosed = null;
    if (done) done();
    this.refresh();
  }

  /** The request line of a call. */
  line(id, api, ctx, args) {
    // encode() throws a TypeError for what JSON.stringify refuses; the call then never starts.
    const request = { id, api, args: args.map((a) => encode(a)) };
    if (ctx !== undefined) request.ctx = ctx;
    return JSON.stringify(request);
  }

  ensureOpen() {
    if (this.closed) throw new BridgeError('this mini-program was closed', 'closed');
  }

  /**
   * Sends a call and returns a Promise of its answer: the parsed response, or a BridgeError.
   * @returns {Promise<any>}
   */
  callAsync(api, ctx, args) {
    this.ensureOpen();
    const id = this.nextId++;
    const line = this.line(id, api, ctx, args);
    return new Promise((resolve, reject) => {
      this.pending.set(id, (answer) => {
        if (answer.failure) reject(new BridgeError(answer.failure));
        else resolve(JSON.parse(answer.line));
      });
      this.refresh();
      this.worker.postMessage({ type: 'call', id, line, sync: false });
    });
  }

  /** Sends a call and blocks until its answer: the parsed response; throws a BridgeError. */
  callSync(api, ctx, args) {
    this.ensureOpen();
    const id = this.nextId++;
    return JSON.parse(this.roundTrip(id, this.line(id, api, ctx, args)));
  }

  /**
   * Waits until the bridge has opened its store and answers: an empty line is answered with a
   * protocol error once the store is open (docs/bridge.md). Throws a BridgeError saying why the
   * bridge could not start (the store open in another process, a bad directory…).
   */
  probe() {
    this.ensureOpen();
    this.roundTrip(0, '');
  }

  /** Writes `line` and blocks until its answer line; throws a BridgeError. */
  roundTrip(id, line) {
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage({ type: 'call', id, line, sync: true });
    for (;;) {
      Atomics.wait(this.signal, 0, 0);
      const received = receiveMessageOnPort(this.syncPort);
      if (received) {
        const answer = received.message;
        if (answer.failure) throw new BridgeError(answer.failure);
        return answer.line;
      }
      // Woken without a message (cannot happen by design): wait again.
      Atomics.store(this.signal, 0, 0);
    }
  }

  /** Ends the bridge process once every earlier call is answered; resolves when it has exited. */
  close() {
    if (!this.closed) {
      this.closed = new Promise((resolve) => {
        this.onClosed = resolve;
      }).then(() => this.worker.terminate()).then(() => undefined);
      this.refresh();
      this.worker.postMessage({ type: 'close' });
    }
    return this.closed;
  }
}

module.exports = { Channel, BridgeError };
