'use strict';
// The in-process engine: the dialect objects over the native addon (src/native.js).
//
// Every call runs on the calling thread, in program order. Sync forms return (or throw) what the
// engine answered. Async forms call success/fail then complete (or settle their Promise) later,
// as on the platforms: after a microtask, or, for a durable write, once the engine has made it
// durable on a worker thread.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { load } = require('./native');

/** Stores open in this process, by the data directory's real path: shared, closing counted. */
const open = new Map();
let exitHook = false;

function coded(message, code) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/**
 * The store of `options` (its data directory, or memory): opened, or shared with the earlier
 * opener in this process. Throws an Error with a `code` when it cannot be opened.
 */
function acquire(options) {
  const native = load();
  const durable = options.durability !== 'buffered';
  if (options.memory === true || options.dataDir === ':memory:') {
    return { entry: { store: native.Store.open(null, false), refs: 1, pending: new Set(), tail: Promise.resolve(), epoch: 0, faults: new Map(), delays: new Map(), readCache: options.readCache !== false, key: null }, dataDir: ':memory:' };
  }
  let dataDir = options.dataDir;
  let temporary = null;
  if (dataDir === undefined) {
    temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-'));
    dataDir = temporary;
  }
  if (typeof dataDir !== 'string') throw new TypeError('dataDir must be a string');
  let key = path.resolve(dataDir);
  try {
    key = fs.realpathSync(key);
  } catch {
    // Not created yet: the store creates it.
  }
  let entry = open.get(key);
  if (entry) {
    if (entry.durable !== durable) {
      throw coded(`the store ${dataDir} is open in this process with durability '${entry.durable ? 'durable' : 'buffered'}'`, 'MPSTORE_DURABILITY_MISMATCH');
    }
    entry.refs += 1;
  } else {
    entry = { store: native.Store.open(key, durable), refs: 1, pending: new Set(), tail: Promise.resolve(), epoch: 0, faults: new Map(), delays: new Map(), readCache: options.readCache !== false, key, durable, temporary };
    open.set(key, entry);
  }
  if (!exitHook) {
    exitHook = true;
    installExitHooks();
  }
  return { entry, dataDir };
}

/** Flushes every open store, as far as each can be (a failing one does not stop the others). */
function flushAll() {
  for (const e of open.values()) {
    try {
      e.store.flush();
    } catch {
      // Nothing more can be done on the way out.
    }
  }
}

/**
 * Buffered writes reach the disk when the process ends: normally, or on SIGTERM, SIGINT or
 * SIGHUP. A signal nobody else listens to is raised again once the stores are flushed, so the
 * process still ends as that signal ends it; where the program listens too, its handler decides.
 */
function installExitHooks() {
  process.on('exit', flushAll);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    const onSignal = () => {
      flushAll();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Gives back one reference; the last one closes the store once its durable writes settled. */
async function release(entry) {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  if (entry.key !== null) open.delete(entry.key);
  await Promise.allSettled([...entry.pending]);
  entry.store.close();
  if (entry.temporary) fs.rmSync(entry.temporary, { recursive: true, force: true });
}

function isFn(f) {
  return typeof f === 'function';
}

/**
 * Settles an async call: callbacks (each once, in the platform's order) or a Promise. Calls
 * settle in the order they were made, as on the platforms: a durable write waits for the disk,
 * and every later call of the store waits for it to settle first.
 */
function settle(answer, entry, callbacks, delay = 0) {
  const run = (ok, res) => {
    if (!callbacks) return ok ? res : Promise.reject(res);
    const { success, fail, complete } = callbacks;
    try {
      if (ok && isFn(success)) success(res);
      if (!ok && isFn(fail)) fail(res);
    } finally {
      if (isFn(complete)) complete(res);
    }
    return undefined;
  };
  const previous = delay > 0 ? entry.tail.then(() => new Promise((resolve) => setTimeout(resolve, delay))) : entry.tail;
  let done;
  if (answer.wait) {
    done = Promise.all([answer.wait, previous]).then(([failure]) =>
      failure === undefined ? run(answer.ok, answer.res) : run(false, failure),
    );
  } else {
    done = previous.then(() => run(answer.ok, answer.res));
  }
  const settled = done.then(
    () => undefined,
    () => undefined,
  );
  entry.tail = settled;
  if (answer.wait) {
    entry.pending.add(settled);
    settled.then(() => entry.pending.delete(settled));
  }
  if (callbacks) {
    // A callback that throws is the program's own error: it surfaces as an uncaught exception.
    done.catch((e) => process.nextTick(() => { throw e; }));
    return undefined;
  }
  return done;
}

/**
 * A copy of a value read from the store, so the caller's changes never reach the cached one.
 * Values come from the engine: plain objects, arrays, Dates and primitives only.
 */
function copy(v) {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return v.map(copy);
  const out = {};
  for (const k of Object.keys(v)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: copy(v[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = copy(v[k]);
  }
  return out;
}

/** The most values, and the longest String, a caller's read cache keeps. */
const CACHE_ENTRIES = 4096;
const CACHE_STRING = 64 * 1024;

/**
 * `getStorageSync(key)` of WeChat and Douyin, with a read cache in JavaScript: a hot key is
 * answered without crossing into the engine, as reading a property is. Every write to the store
 * (any API, any namespace, any host operation) bumps `entry.epoch`, which empties every cache,
 * so a cached answer is always what the engine would answer.
 */
function cachedGet(entry, caller, i) {
  const cache = new Map();
  let epoch = entry.epoch;
  return function (key) {
    const fault = entry.faults.size ? takeFault(entry, 'getStorageSync') : null;
    if (fault) return caller.fault(i, fault);
    if (typeof key !== 'string') return caller.call(i, arguments.length, key, undefined);
    if (epoch !== entry.epoch) {
      cache.clear();
      epoch = entry.epoch;
    } else {
      const hit = cache.get(key);
      if (hit !== undefined || cache.has(key)) return copy(hit);
    }
    const value = caller.call(i, 1, key, undefined);
    if (value instanceof Error) return value; // Baidu returns its failures: never cached
    if (typeof value !== 'string' || value.length <= CACHE_STRING) {
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(key, value);
      return copy(value);
    }
    return value;
  };
}

/**
 * The failure a test injected for this call of `name`, if any: each fault counts down the calls
 * of its API and fires on its n-th (see `fail` in index.js).
 */
function takeFault(entry, name) {
  const pending = entry.faults.get(name);
  if (!pending) return null;
  let fired = null;
  for (const f of pending) {
    f.nth -= 1;
    if (f.nth === 0 && !fired) fired = f.error;
  }
  const left = pending.filter((f) => f.nth > 0);
  if (left.length) entry.faults.set(name, left);
  else entry.faults.delete(name);
  return fired;
}

/** Whether version `a` (`'x.y.z'`) is older than `b`. */
function older(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return false;
}

/**
 * The dialect object of `caller` (a native Caller) with the APIs of `family`. With `device`
 * (`{baseLibrary, plugin}`), only the APIs the platform offers there: a newer one, or one
 * plugins may not call, is absent, as on a device.
 */
function dialectObject(entry, caller, platform, families, api = {}, device = null) {
  const { apis, syncObject } = (entry.dialects ??= load().dialects()).find((d) => d.name === platform);
  apis.forEach(({ name, family, sync, since, inPlugins, promise, writes }, i) => {
    if (!families.includes(family)) return;
    if (device && ((since && older(device.baseLibrary, since)) || (device.plugin && !inPlugins))) return;
    if (sync && name === 'getStorageSync' && !syncObject && entry.readCache) {
      api[name] = cachedGet(entry, caller, i);
    } else if (sync) {
      api[name] = function (a, b) {
        const fault = entry.faults.size ? takeFault(entry, name) : null;
        if (fault) return caller.fault(i, fault);
        if (writes) entry.epoch++;
        return caller.call(i, arguments.length, a, b);
      };
    } else {
      api[name] = function (options) {
        const given = options !== null && typeof options === 'object';
        const callbacks = given && (isFn(options.success) || isFn(options.fail) || isFn(options.complete))
          ? { success: options.success, fail: options.fail, complete: options.complete }
          : null;
        const fault = entry.faults.size ? takeFault(entry, name) : null;
        if (writes && !fault) entry.epoch++;
        const answer = fault ? caller.fault(i, fault) : caller.callAsync(i, arguments.length, options);
        // An API with no Promise form, called without callbacks, runs and returns nothing.
        return settle(answer, entry, callbacks ?? (promise ? null : {}), entry.delays.get(name));
      };
    }
  });
  return api;
}

/** A host operation on the store; those that may write empty the read caches; a reset also
 * clears the faults and delays a test set. */
function host(entry, method, args) {
  if (method !== 'namespaces' && method !== 'dump') entry.epoch++;
  if (method === 'reset') {
    entry.faults.clear();
    entry.delays.clear();
  }
  return entry.store.host(method, args);
}

module.exports = { acquire, release, dialectObject, host };
