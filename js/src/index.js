'use strict';
// mpstore for Node: the storage APIs of WeChat (wx), Alipay (my) and Douyin (tt), for real,
// backed by the `mpstore bridge` process (an encrypted, durable store on disk).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Channel, BridgeError } = require('./channel');
const { dialectObject, hostCall } = require('./dialects');

const PLATFORMS = ['wx', 'my', 'tt'];

/**
 * The mpstore executable: `options.bin`, else $MPSTORE_BIN, else the workspace's debug build
 * (`../../target/debug/mpstore` from this file), else `mpstore` on the PATH.
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

function checkPlatform(platform, allowed = PLATFORMS) {
  if (!allowed.includes(platform)) {
    throw new TypeError(`platform must be one of ${allowed.map((p) => `'${p}'`).join(', ')}, not ${JSON.stringify(platform)}`);
  }
}

/** The scope as the bridge names it: 'app', 'webview' or {plugin: id}. */
function scopeOf(scope) {
  if (scope === undefined || scope === 'app') return 'app';
  if (scope === 'webview') return 'webview';
  if (scope && typeof scope === 'object' && typeof scope.plugin === 'string') return { plugin: scope.plugin };
  throw new TypeError(`scope must be 'app', 'webview' or {plugin: '<id>'}, not ${JSON.stringify(scope)}`);
}

/** Starts a bridge over `dataDir` (a fresh temporary directory, removed on close, if omitted). */
function openChannel(options) {
  let dataDir = options.dataDir;
  let temporary = null;
  if (dataDir === undefined) {
    temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-'));
    dataDir = temporary;
  }
  const args = ['bridge', '--data-dir', dataDir];
  if (options.durability === 'buffered') args.push('--buffered');
  else if (options.durability !== undefined && options.durability !== 'durable') {
    throw new TypeError("durability must be 'durable' (the default) or 'buffered'");
  }
  if (options.maxLineBytes !== undefined) args.push('--max-line-bytes', String(options.maxLineBytes));
  const channel = new Channel(findBin(options.bin), args);
  const close = () =>
    channel.close().then(() => {
      if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
    });
  return { channel, dataDir, close };
}

/**
 * A mini-program's storage: `{wx | my | tt, host, close, ...}`. See index.d.ts.
 */
function createMiniProgram(options) {
  const { platform, user, app } = options ?? {};
  checkPlatform(platform);
  if (typeof user !== 'string' || typeof app !== 'string') throw new TypeError('user and app must be strings');
  const scope = scopeOf(options.scope);
  const { channel, dataDir, close } = openChannel(options);
  return programOn(channel, platform, user, app, scope, dataDir, close);
}

function programOn(channel, platform, user, app, scope, dataDir, close) {
  const ctx = { user, app, scope };
  return {
    platform,
    user,
    app,
    scope,
    dataDir,
    [platform]: dialectObject(channel, platform, ctx, undefined),
    /** Another user, app or scope of the same store, over the same bridge. */
    as: (changes) =>
      programOn(
        channel,
        changes.platform ?? platform,
        changes.user ?? user,
        changes.app ?? app,
        changes.scope === undefined ? scope : scopeOf(changes.scope),
        dataDir,
        close,
      ),
    /** The same mini-program's web-view (isolated storage), over the same bridge. */
    webview: () => programOn(channel, platform, user, app, 'webview', dataDir, close),
    /** A plugin inside the same mini-program (isolated storage), over the same bridge. */
    plugin: (id) => programOn(channel, platform, user, app, scopeOf({ plugin: id }), dataDir, close),
    host: {
      namespaces: () => hostCall(channel, 'namespaces', []),
      removeApp: () => hostCall(channel, 'removeApp', [user, app]),
      removeUser: () => hostCall(channel, 'removeUser', [user]),
    },
    close,
  };
}

/**
 * A mini-game: the dialect object with the cloud-data APIs (and local storage). See index.d.ts.
 */
function createMiniGame(options) {
  const { platform, game } = options ?? {};
  checkPlatform(platform, ['wx', 'tt']);
  if (typeof game !== 'string') throw new TypeError('game must be a string');
  const { channel, dataDir, close } = openChannel(options);
  return gameOn(channel, platform, game, options, dataDir, close);
}

function gameOn(channel, platform, game, options, dataDir, close) {
  const openid = options.openid ?? null;
  const context = options.context ?? 'main';
  if (context !== 'main' && context !== 'open') throw new TypeError("context must be 'main' or 'open'");
  if (openid !== null && typeof openid !== 'string') throw new TypeError('openid must be a string');
  const host = options.host ?? 'game';
  if (host !== 'game' && host !== 'app') throw new TypeError("host must be 'game' or 'app'");
  const gameCtx = { game, openid, context, host };
  // A game's local storage belongs to its player (user defaults to the openid).
  const user = options.user ?? openid ?? 'guest';
  const localCtx = { user, app: game, scope: 'app' };
  const self = {
    platform,
    game,
    openid,
    context,
    dataDir,
    [platform]: dialectObject(channel, platform, localCtx, gameCtx),
    /** The same game as another caller or context (e.g. `{context: 'open'}`), same bridge. */
    as: (changes) => gameOn(channel, platform, game, { ...options, ...changes }, dataDir, close),
    host: {
      setLeaderboardKeys: (keys) => hostCall(channel, 'setLeaderboardKeys', [game, keys]),
      addFriendship: (a, b) => hostCall(channel, 'addFriendship', [game, a, b]),
      joinGroup: (groupId, who) => hostCall(channel, 'joinGroup', [game, groupId, who]),
      recommend: (who, other) => hostCall(channel, 'recommend', [game, who, other]),
      setProfile: (who, profile) =>
        hostCall(channel, 'setProfile', [game, who, profile.nickname, profile.avatarUrl]),
      namespaces: () => hostCall(channel, 'namespaces', []),
    },
    close,
  };
  return self;
}

module.exports = { createMiniProgram, createMiniGame, BridgeError, findBin };
