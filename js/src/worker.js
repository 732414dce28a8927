'use strict';
// The worker thread that owns the `mpstore bridge` child process.
//
// The main thread posts request lines here in program order; they are written to the bridge's
// stdin in that order, and the bridge answers each line with one line, in order. Answers to
// asynchronous calls go back over `parentPort`; the answer to a synchronous call goes to the
// dedicated `syncPort`, after which the shared `signal` is set and notified, waking the main
// thread blocked in Atomics.wait. Everything goes through one ordered queue, so a Sync call
// sees every earlier call, async or not, already applied.

const { parentPort, workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');

const { bin, args, syncPort } = workerData;
const signal = new Int32Array(workerData.signal);

/** Requests written to the bridge and not answered yet, oldest first. */
const waiting = [];
let dead = null;
let stdoutEnded = false;
let exitCode = null;
let closing = false;

/** Wakes the main thread after a Sync answer (or a failure) was posted on syncPort. */
function wake() {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function deliver(request, line) {
  if (request.sync) {
    syncPort.postMessage({ id: request.id, line });
    wake();
  } else {
    parentPort.postMessage({ type: 'answer', id: request.id, line });
  }
}

function refuse(request, reason) {
  if (request.sync) {
    syncPort.postMessage({ id: request.id, failure: reason });
    wake();
  } else {
    parentPort.postMessage({ type: 'answer', id: request.id, failure: reason });
  }
}

/** The bridge is gone: every waiting request, and every later one, gets `reason`. */
function fail(reason) {
  if (dead) return;
  dead = reason;
  while (waiting.length) refuse(waiting.shift(), reason);
}

let closedSent = false;
function sendClosed() {
  if (closedSent) return;
  closedSent = true;
  parentPort.postMessage({ type: 'closed', code: exitCode });
}

const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });

// What the bridge says on stderr goes on to ours; its last words also go into the failure of
// every waiting call (why it could not open the store, say).
let said = '';
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  said = (said + chunk.toString('utf8')).slice(-2048);
});

child.on('error', (err) => fail(`cannot run the mpstore bridge (${bin}): ${err.message}`));
// A bridge that stops reading is about to exit: its exit (with what it said) is the failure.
child.stdin.on('error', () => {});

// Lines can be megabytes long: keep chunks until a newline rather than re-scanning a string.
let chunks = [];
child.stdout.on('data', (chunk) => {
  let start = 0;
  let nl;
  while ((nl = chunk.indexOf(10, start)) !== -1) {
    chunks.push(chunk.subarray(start, nl));
    const line = Buffer.concat(chunks).toString('utf8');
    chunks = [];
    start = nl + 1;
    const request = waiting.shift();
    if (request) deliver(request, line);
  }
  if (start < chunk.length) chunks.push(chunk.subarray(start));
});

function finish() {
  if (!stdoutEnded || exitCode === null) return;
  fail(
    closing
      ? 'the mpstore bridge was closed'
      : `the mpstore bridge exited unexpectedly (code ${exitCode})${said.trim() ? `: ${said.trim()}` : ''}`,
  );
  if (closing) sendClosed();
}
child.stdout.on('end', () => {
  stdoutEnded = true;
  finish();
});
child.on('exit', (code, sig) => {
  exitCode = code ?? sig;
  finish();
});

parentPort.on('message', (msg) => {
  if (msg.type === 'call') {
    const request = { id: msg.id, sync: msg.sync };
    if (dead) {
      refuse(request, dead);
      return;
    }
    waiting.push(request);
    child.stdin.write(msg.line + '\n');
  } else if (msg.type === 'close') {
    closing = true;
    child.stdin.end();
    if (dead) sendClosed();
  }
});
