'use strict';
// The dialect API objects: `wx`, `my`, `tt`, each storage API shaped as the platform shapes it.
//
// Async APIs take one options object: with any of success/fail/complete they call exactly one
// of success/fail, then complete, and return undefined; without any they return a Promise that
// resolves with the success result and rejects with the fail result. Sync APIs block on the
// bridge and return its answer; WeChat's and Douyin's throw an Error whose message is errMsg
// (with errMsg and errno / errNo on it), Alipay's return {success: false, error, errorMessage}.

const { decode } = require('./tagged');
const { BridgeError } = require('./channel');

function protocolError(response) {
  const { kind, message } = response.error ?? {};
  return new BridgeError(`mpstore bridge: ${kind}: ${message}`, kind);
}

/** A Sync form's thrown error: an Error whose message is errMsg, carrying the payload's fields. */
function thrown(payload) {
  const err = new Error(payload.errMsg);
  Object.assign(err, payload);
  return err;
}

function isFn(f) {
  return typeof f === 'function';
}

/**
 * An async API: callbacks, or a Promise when none is given.
 * @param {import('./channel').Channel} channel
 */
function asyncApi(channel, name, ctx, promise = true) {
  return function (options) {
    const cbs = options !== null && typeof options === 'object' ? options : {};
    const { success, fail, complete } = cbs;
    // An API with no Promise form, called without callbacks, runs and returns nothing.
    const callbacks = isFn(success) || isFn(fail) || isFn(complete) || !promise;
    const args = options === undefined ? [] : [options];
    let sent;
    try {
      sent = channel.callAsync(name, ctx, args);
    } catch (e) {
      // A closed program: the call fails as a call, through fail / complete or the Promise.
      if (!(e instanceof BridgeError)) throw e;
      sent = Promise.reject(e);
    }
    const method = name.slice(name.indexOf('.') + 1);
    const answer = sent.catch((e) => {
      // What a platform's failure carries, so `err.errMsg` works in every failure.
      if (e instanceof BridgeError && e.errMsg === undefined) e.errMsg = `${method}:fail ${e.message}`;
      throw e;
    }).then((response) => {
      if (response.outcome === 'success') return { ok: true, res: decode(response.result) };
      if (response.outcome === 'fail') return { ok: false, res: decode(response.result) };
      throw protocolError(response);
    });
    if (!callbacks) {
      return answer.then(({ ok, res }) => {
        if (ok) return res;
        throw res;
      });
    }
    answer.then(
      ({ ok, res }) => {
        try {
          if (ok && isFn(success)) success(res);
          if (!ok && isFn(fail)) fail(res);
        } finally {
          if (isFn(complete)) complete(res);
        }
      },
      (err) => {
        // The bridge itself failed: the call failed.
        try {
          if (isFn(fail)) fail(err);
        } finally {
          if (isFn(complete)) complete(err);
        }
      },
    );
    return undefined;
  };
}

/** A Sync API: a blocking round trip. */
function syncApi(channel, name, ctx) {
  return function (...args) {
    const response = channel.callSync(name, ctx, args);
    if (response.outcome === 'return') return decode(response.result);
    if (response.outcome === 'throw') throw thrown(decode(response.result));
    // Baidu's Sync forms return the Error instead of throwing it.
    if (response.outcome === 'return_error') return thrown(decode(response.result));
    throw protocolError(response);
  };
}

/**
 * The dialect object (`wx`, `my`, `tt`, …) over `channel`, with the APIs the engine lists for
 * the dialect (`host.dialects`).
 * @param {import('./channel').Channel} channel
 * @param {{name: string, apis: {name: string, family: string, sync: boolean}[]}} dialect
 * @param {object|undefined} localCtx the local-storage context, or undefined for none
 * @param {object|undefined} gameCtx the game context, or undefined for none
 */
function dialectObject(channel, dialect, localCtx, gameCtx) {
  const api = {};
  for (const { name, family, sync, promise } of dialect.apis) {
    const ctx = family === 'local' ? localCtx : gameCtx;
    if (!ctx) continue;
    const full = `${dialect.name}.${name}`;
    api[name] = sync ? syncApi(channel, full, ctx) : asyncApi(channel, full, ctx, promise);
  }
  return api;
}

/** The host operations (`host.*` of the bridge), as Sync calls. */
function hostCall(channel, method, args) {
  const response = channel.callSync(`host.${method}`, undefined, args);
  if (response.outcome === 'return') return decode(response.result);
  throw protocolError(response);
}

module.exports = { dialectObject, hostCall };
