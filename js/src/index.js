'use strict';
// mpstore for Node: the storage APIs of WeChat (wx), Alipay (my) and Douyin (tt), for real.
// The engine runs inside this process (the native addon, default) or in an `mpstore bridge`
// child process (`engine: 'bridge'`); both give the same objects.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Channel, BridgeError } = require('./channel');
const bridgeDialects = require('./dialects');
const addon = require('./addon');
const listeners = require('./listeners');


/**
 * The mpstore executable of the bridge engine: `options.bin`, else $MPSTORE_BIN, else the
 * workspace's debug build (`../../target/debug/mpstore` from this file), else `mpstore` on the PATH.
 */
function findBin(bin) {
  if (bin) return bin;
  if (process.env.MPSTORE_BIN) return process.env.MPSTORE_BIN;
  const exe = process.platform === 'win32' ? 'mpstore.exe' : 'mpstore';
  for (const profile of ['debug', 'release']) {
    const candidate = path.join(__dirname, '..', '..', 'target', profile, exe);
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'mpstore';
}

/**
 * The dialect `platform` names, as the engine specifies it (`{name, object, apis}`), or a
 * TypeError; with `cloud`, only a dialect with game cloud data.
 */
function dialectOf(engine, platform, cloud = false) {
  const all = engine.dialects();
  const allowed = all.filter((d) => !cloud || d.apis.some((a) => a.family === 'cloud'));
  const found = allowed.find((d) => d.name === platform);
  if (!found) {
    throw new TypeError(`platform must be one of ${allowed.map((d) => `'${d.name}'`).join(', ')}, not ${JSON.stringify(platform)}`);
  }
  return found;
}

/** The scope as the engines name it: 'app', 'webview' or {plugin: id}. */
function scopeOf(scope) {
  if (scope === undefined || scope === 'app') return 'app';
  if (scope === 'webview') return 'webview';
  if (scope && typeof scope === 'object' && typeof scope.plugin === 'string') return { plugin: scope.plugin };
  throw new TypeError(`scope must be 'app', 'webview' or {plugin: '<id>'}, not ${JSON.stringify(scope)}`);
}

function checkDurability(options) {
  const d = options.durability;
  if (d !== undefined && d !== 'durable' && d !== 'buffered') {
    throw new TypeError("durability must be 'durable' (the default) or 'buffered'");
  }
}

/**
 * The engine under one mini-program or game: `{kind, dataDir, close, ...}`. Closing is counted:
 * the store closes when the last program on it closes.
 */
function openEngine(options) {
  checkDurability(options);
  const values = options.values ?? 'device';
  if (values !== 'device' && values !== 'exact') {
    throw new TypeError(`values must be 'device' (the default: as the platform stores them) or 'exact', not ${JSON.stringify(values)}`);
  }
  return { ...openEngineOf(options), values };
}

function openEngineOf(options) {
  const engine = options.engine ?? process.env.MPSTORE_ENGINE ?? 'addon';
  if (engine === 'addon') {
    const limits = limitsOf(options.limits);
    const baseLibrary = options.baseLibrary;
    if (baseLibrary !== undefined && !/^\d+(\.\d+){0,2}$/.test(String(baseLibrary))) {
      throw new TypeError(`baseLibrary must be a version such as '2.25.0', not ${JSON.stringify(baseLibrary)}`);
    }
    const { entry, dataDir } = addon.acquire(options);
    const callers = [];
    let closing = null;
    return {
      kind: 'addon',
      dataDir,
      entry,
      callers,
      dialects: () => (entry.dialects ??= require('./native').load().dialects()),
      listeners: (entry.listeners ??= new Map()),
      limits,
      baseLibrary,
      close: () => {
        if (!closing) {
          entry.epoch++;
          for (const c of callers) c.close();
          closing = addon.release(entry);
        }
        return closing;
      },
    };
  }
  if (engine === 'bridge') {
    for (const option of ['limits', 'baseLibrary']) {
      if (options[option] !== undefined) throw new TypeError(`${option} needs the addon engine (engine: 'addon')`);
    }
    return openBridge(options);
  }
  throw new TypeError(`engine must be 'addon' (the default) or 'bridge', not ${JSON.stringify(engine)}`);
}

/** `limits: {entry, total}`: whole numbers of the dialect's unit, each optional. */
function limitsOf(limits) {
  if (limits === undefined) return { entry: undefined, total: undefined };
  const ok = (n) => n === undefined || (Number.isInteger(n) && n >= 0);
  if (limits === null || typeof limits !== 'object' || !ok(limits.entry) || !ok(limits.total)) {
    throw new TypeError('limits must be {entry, total}, each a whole number of the dialect\'s unit');
  }
  return { entry: limits.entry, total: limits.total };
}

/** Bridges open in this process, by data directory: shared, closing counted. */
const bridges = new Map();

function openBridge(options) {
  let dataDir = options.dataDir;
  let temporary = null;
  if (dataDir === undefined) {
    temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-'));
    dataDir = temporary;
  }
  const key = path.resolve(dataDir);
  let shared = bridges.get(key);
  if (shared) {
    shared.refs += 1;
  } else {
    const args = ['bridge', '--data-dir', dataDir];
    if (options.durability === 'buffered') args.push('--buffered');
    if (options.maxLineBytes !== undefined) args.push('--max-line-bytes', String(options.maxLineBytes));
    const channel = new Channel(findBin(options.bin), args);
    try {
      channel.probe();
    } catch (e) {
      channel.close();
      if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
      e.code = /open in (another process|this process)/.test(e.message) ? 'MPSTORE_LOCKED' : 'MPSTORE_OPEN_FAILED';
      throw e;
    }
    shared = { channel, refs: 1 };
    bridges.set(key, shared);
    shared.done = () =>
      channel.close().then(() => {
        if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
      });
  }
  let closing = null;
  return {
    kind: 'bridge',
    dataDir,
    channel: shared.channel,
    dialects: () => (shared.dialects ??= bridgeDialects.hostCall(shared.channel, 'dialects', [])),
    listeners: (shared.listeners ??= new Map()),
    close: () => {
      if (!closing) {
        shared.refs -= 1;
        if (shared.refs === 0) {
          bridges.delete(key);
          closing = shared.done();
        } else {
          closing = Promise.resolve();
        }
      }
      return closing;
    },
  };
}

/** Runs `check`; if it throws, gives the engine back first. */
function checked(engine, check) {
  try {
    check();
  } catch (e) {
    engine.close();
    throw e;
  }
}

/** The dialect object of one namespace, on either engine. */
function localObject(engine, platform, ctx) {
  if (engine.kind === 'bridge') {
    const sent = engine.values === 'exact' ? { ...ctx, values: 'exact' } : ctx;
    return bridgeDialects.dialectObject(engine.channel, dialectOf(engine, platform), sent, undefined);
  }
  const { scope } = ctx;
  const caller = engine.entry.store.local(
    platform,
    ctx.user,
    ctx.app,
    typeof scope === 'object' ? 'plugin' : scope,
    typeof scope === 'object' ? scope.plugin : null,
    engine.limits.entry,
    engine.limits.total,
    engine.values === 'exact',
  );
  engine.callers.push(caller);
  if (engine.baseLibrary === undefined) return addon.dialectObject(engine.entry, caller, platform, ['local']);
  // As on a device: only what this base library offers here, and canIUse to ask.
  const device = { baseLibrary: engine.baseLibrary, plugin: typeof scope === 'object' };
  const api = addon.dialectObject(engine.entry, caller, platform, ['local'], {}, device);
  api.canIUse = (name) => require('./host-globals').canIUse(name, api);
  return api;
}

/** A host operation, on either engine. */
function hostCall(engine, method, args) {
  if (engine.kind === 'bridge') return bridgeDialects.hostCall(engine.channel, method, args);
  return addon.host(engine.entry, method, args);
}

/**
 * A mini-program's storage: `{wx | my | tt, host, close, ...}`. See index.d.ts.
 */
function createMiniProgram(options) {
  const { platform, user, app } = options ?? {};
  if (typeof user !== 'string' || typeof app !== 'string') throw new TypeError('user and app must be strings');
  const scope = scopeOf(options.scope);
  const engine = openEngine(options);
  checked(engine, () => dialectOf(engine, platform));
  return programOn(engine, platform, user, app, scope);
}

function programOn(engine, platform, user, app, scope) {
  const { object } = dialectOf(engine, platform);
  const api = localObject(engine, platform, { user, app, scope });
  return {
    platform,
    /** The name of the API object: `tt` for Douyin mini-apps and Lark. */
    object,
    user,
    app,
    scope,
    dataDir: engine.dataDir,
    [object]: api,
    /** Another user, app or scope of the same store. */
    as: (changes) =>
      programOn(
        engine,
        changes.platform ?? platform,
        changes.user ?? user,
        changes.app ?? app,
        changes.scope === undefined ? scope : scopeOf(changes.scope),
      ),
    /** The same mini-program's web-view (isolated storage). */
    webview: () => programOn(engine, platform, user, app, 'webview'),
    /** A plugin inside the same mini-program (isolated storage). */
    plugin: (id) => programOn(engine, platform, user, app, scopeOf({ plugin: id })),
    host: {
      namespaces: () => hostCall(engine, 'namespaces', []),
      removeApp: () => hostCall(engine, 'removeApp', [user, app]),
      removeUser: () => hostCall(engine, 'removeUser', [user]),
      ...tooling(engine, platform, api, { kind: 'local', user, app, scope }),
    },
    close: engine.close,
  };
}

/**
 * What a test does to the store around the program (docs/dump.md): seed this namespace; dump,
 * reset, snapshot and restore the whole store (or one namespace, `'this'` naming the program's).
 */
function tooling(engine, platform, api, self) {
  const which = (only) => (only === 'this' ? self : only);
  const { syncObject } = dialectOf(engine, platform);
  /** `setStorageSync` in the dialect's form; its failure thrown, whichever way the dialect reports it. */
  const set = (key, data) => {
    const res = syncObject ? api.setStorageSync({ key, data }) : api.setStorageSync(key, data);
    if (res instanceof Error) throw res; // Baidu returns it
    if (res && res.success === false) throw Object.assign(new Error(res.errorMessage), res);
  };
  return {
    /** Writes each `{key: value}` into this namespace through the dialect's own Sync API. */
    seed(entries) {
      for (const [key, data] of Object.entries(entries)) {
        try {
          set(key, data);
        } catch (e) {
          e.message = `seed ${key}: ${e.message}`;
          throw e;
        }
      }
    },
    dump: (only) => hostCall(engine, 'dump', only === undefined ? [] : [which(only)]),
    reset: (only) => hostCall(engine, 'reset', only === undefined ? [] : [which(only)]),
    snapshot: () => hostCall(engine, 'dump', []),
    /** Makes the store exactly the snapshot again (entries measured as this dialect measures). */
    restore: (snapshot) => hostCall(engine, 'restore', [snapshot, platform]),
    /**
     * Makes the `nth` call from now (default: the next) of API `name` (`'setStorage'`,
     * `'getStorageSync'`, …) fail with `error`: `'quota'`, `'entry'`, `'internal'`, `'closed'`,
     * or a cloud rule or Douyin errorCode; answered in the dialect's exact shape. Until reset().
     */
    fail(name, error, { nth = 1 } = {}) {
      const entry = addonEntry(engine, 'fail');
      if (!Number.isInteger(nth) || nth < 1) throw new TypeError('nth must be a whole number from 1');
      entry.faults.set(name, [...(entry.faults.get(name) ?? []), { nth, error: String(error) }]);
    },
    /**
     * Serves the storage inspector (docs/inspector.md) for this store on 127.0.0.1:`port` (0: a
     * free one), from this process, sizes and edits in this dialect: `{url, token, port, stop}`.
     * Closing the store stops it too.
     */
    inspect({ port = 0 } = {}) {
      const { store } = addonEntry(engine, 'inspect');
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be a whole number from 0 to 65535');
      const served = store.inspect(port, platform);
      return { ...served, stop: () => store.stopInspect() };
    },
    /** Delays the callbacks (or the Promise) of every call of async API `name` by `ms`, until reset(). */
    delay(name, ms) {
      addonEntry(engine, 'delay').delays.set(name, ms);
    },
    /**
     * Fills this namespace to `level` (0 to 1) of its quota, with entries named
     * `__mpstore_fill_<n>__` written through the dialect (a device whose storage is nearly full).
     */
    fill(level) {
      if (!(level >= 0 && level <= 1)) throw new RangeError('level must be between 0 and 1');
      const info = () => api.getStorageInfoSync();
      const target = Math.floor(info().limitSize * 1024 * level);
      const chunk = 100_000;
      for (let n = 0; ; n++) {
        const missing = target - info().currentSize * 1024 - 64;
        if (missing <= 0) return;
        const key = `__mpstore_fill_${n}__`;
        const data = 'x'.repeat(Math.min(chunk, missing));
        try {
          set(key, data);
        } catch {
          return; // the quota itself
        }
      }
    },
  };
}

/** The store of an addon engine, for what only it can do. */
function addonEntry(engine, what) {
  if (engine.kind !== 'addon') throw new TypeError(`host.${what} needs the addon engine (engine: 'addon')`);
  return engine.entry;
}

/**
 * A mini-game: the dialect object with the cloud-data APIs (and local storage). See index.d.ts.
 */
function createMiniGame(options) {
  const { platform, game } = options ?? {};
  if (typeof game !== 'string') throw new TypeError('game must be a string');
  const engine = openEngine(options);
  checked(engine, () => dialectOf(engine, platform, true));
  return gameOn(engine, platform, game, options);
}

function gameOn(engine, platform, game, options) {
  const openid = options.openid ?? null;
  const context = options.context ?? 'main';
  if (context !== 'main' && context !== 'open') throw new TypeError("context must be 'main' or 'open'");
  if (openid !== null && typeof openid !== 'string') throw new TypeError('openid must be a string');
  const host = options.host ?? 'game';
  if (host !== 'game' && host !== 'app') throw new TypeError("host must be 'game' or 'app'");
  // A game's local storage belongs to its player (user defaults to the openid).
  const user = options.user ?? openid ?? 'guest';
  let api;
  if (engine.kind === 'bridge') {
    api = bridgeDialects.dialectObject(engine.channel, dialectOf(engine, platform), { user, app: game, scope: 'app' }, { game, openid, context, host });
  } else {
    api = localObject(engine, platform, { user, app: game, scope: 'app' });
    const caller = engine.entry.store.game(platform, game, openid, context === 'open', host === 'game');
    engine.callers.push(caller);
    addon.dialectObject(engine.entry, caller, platform, ['cloud'], api);
  }
  listeners.install(api, dialectOf(engine, platform), engine.listeners, { game, openid });
  return {
    platform,
    game,
    openid,
    context,
    dataDir: engine.dataDir,
    object: platform,
    [platform]: api,
    /** The same game as another caller or context (e.g. `{context: 'open'}`), same store. */
    as: (changes) => gameOn(engine, platform, game, { ...options, ...changes }),
    host: {
      setLeaderboardKeys: (keys) => hostCall(engine, 'setLeaderboardKeys', [game, keys]),
      addFriendship: (a, b) => hostCall(engine, 'addFriendship', [game, a, b]),
      joinGroup: (groupId, who) => hostCall(engine, 'joinGroup', [game, groupId, who]),
      recommend: (who, other) => hostCall(engine, 'recommend', [game, who, other]),
      setProfile: (who, profile) => hostCall(engine, 'setProfile', [game, who, profile.nickname, profile.avatarUrl]),
      namespaces: () => hostCall(engine, 'namespaces', []),
      setClock: (ms) => hostCall(engine, 'setClock', [ms instanceof Date ? ms.getTime() : ms ?? null]),
      advanceClock: (ms) => hostCall(engine, 'advanceClock', [ms]),
      imRankShown: (who) => hostCall(engine, 'imRankShown', [game, who]),
      setInteractiveKeys: (keys) => hostCall(engine, 'setInteractiveKeys', [game, keys]),
      registerSession: (who, sessionKey) => hostCall(engine, 'registerSession', [platform, game, who, sessionKey]),
      ...tooling(engine, platform, api, { kind: 'local', user, app: game, scope: 'app' }),
    },
    close: engine.close,
  };
}

module.exports = { createMiniProgram, createMiniGame, BridgeError, findBin };
Object.assign(module.exports, require('./host-globals'));
