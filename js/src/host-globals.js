'use strict';
// What a mini-program host provides besides storage, so that real frameworks (Taro, uni-app)
// run unmodified on the dialect objects: the page stack (`getCurrentPages`), the app (`getApp`),
// `canIUse`, a static `getSystemInfoSync`, and installGlobals() to put the dialect object and
// these helpers on globalThis (and on the dialect object), undone by the function it returns.
// None of this is storage: it is the least a host must answer for a framework to load.

const PLATFORMS = ['wx', 'my', 'tt'];

/** The host's state: one page stack and one app per process, as in a mini-program. */
const host = { pages: [], app: {}, api: null, platform: null };

/** The page stack, oldest first (the current page last). The array is the host's own: push to it. */
function getCurrentPages() {
  return host.pages;
}

/** Replaces the page stack; returns it. */
function setCurrentPages(pages) {
  if (!Array.isArray(pages)) throw new TypeError('pages must be an array');
  host.pages = pages;
  return pages;
}

/** The app object (`getApp({allowDefault})` answers the same). Its fields are the test's to set. */
function getApp(_options) {
  return host.app;
}

/** Replaces the app object; returns it. */
function setApp(app) {
  if (app === null || typeof app !== 'object') throw new TypeError('app must be an object');
  host.app = app;
  return app;
}

// A phone as the platforms' developer tools simulate it (390 × 844, pixel ratio 3).
const SCREEN = { pixelRatio: 3, screenWidth: 390, screenHeight: 844, windowWidth: 390, statusBarHeight: 47 };
const SAFE_AREA = { top: 47, left: 0, right: 390, bottom: 810, width: 390, height: 763 };

const SYSTEM_INFO = {
  wx: {
    brand: 'devtools',
    model: 'iPhone 12/13 (Pro)',
    ...SCREEN,
    windowHeight: 844,
    language: 'zh_CN',
    version: '8.0.5',
    system: 'iOS 10.0.1',
    platform: 'devtools',
    fontSizeSetting: 16,
    SDKVersion: '3.7.12',
    benchmarkLevel: 1,
    theme: 'light',
    deviceOrientation: 'portrait',
    enableDebug: false,
    host: { env: 'WeChat' },
    safeArea: SAFE_AREA,
  },
  my: {
    app: 'alipay',
    brand: 'devtools',
    model: 'iPhone 12',
    ...SCREEN,
    windowHeight: 756,
    titleBarHeight: 44,
    language: 'zh-Hans',
    version: '10.5.36',
    system: '16.0',
    platform: 'devtools',
    fontSizeSetting: 16,
    SDKVersion: '2.9.11',
    storage: '128 GB',
    currentBattery: '100%',
    safeArea: SAFE_AREA,
  },
  tt: {
    appName: 'Douyin',
    brand: 'devtools',
    model: 'iPhone 12',
    ...SCREEN,
    windowHeight: 844,
    language: 'zh_CN',
    version: '32.5.0',
    system: 'iOS 16.0',
    platform: 'devtools',
    fontSizeSetting: 16,
    SDKVersion: '3.50.0',
    safeArea: SAFE_AREA,
  },
};

const USER_AGENT = {
  wx: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.5 miniProgram',
  my: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AlipayClient/10.5.36 MiniProgram',
  tt: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 aweme/32.5.0 ToutiaoMicroApp',
};

/** The dialects whose host looks like another's (its runtime family): QQ, Kuaishou and Baidu
 * WeChat's; Douyin mini-apps and Lark Douyin's. */
const FAMILY = { qq: 'wx', ks: 'wx', swan: 'wx', 'tt-app': 'tt', lark: 'tt', dd: 'my' };

function checkPlatform(platform) {
  if (!PLATFORMS.includes(platform) && !(platform in FAMILY)) {
    throw new TypeError(`platform must be one of ${[...PLATFORMS, ...Object.keys(FAMILY)].map((p) => `'${p}'`).join(', ')}, not ${JSON.stringify(platform)}`);
  }
}

/** The platform whose static host data (system info, user agent) a dialect uses. */
function family(platform) {
  return FAMILY[platform] ?? platform;
}

/** A fresh copy (nested objects too) of an info object. */
function copyInfo(info) {
  return JSON.parse(JSON.stringify(info));
}

/**
 * A plausible, static system info of the platform's developer tools (`platform: 'devtools'`,
 * `SDKVersion`, `windowWidth`, …), a fresh object each call. Default platform: the installed one,
 * else 'wx'.
 */
function getSystemInfoSync(platform) {
  const p = platform ?? host.platform ?? 'wx';
  checkPlatform(p);
  return copyInfo(SYSTEM_INFO[family(p)]);
}

// APIs that take no argument, change nothing and return a plain object: `canIUse('X.return.f')`
// calls them to answer.
const READ_ONLY = new Set(['getSystemInfoSync', 'getStorageInfoSync', 'getWindowInfo', 'getAppBaseInfo', 'getDeviceInfo']);
const CALLBACKS = new Set(['success', 'fail', 'complete']);

function hasPath(value, path) {
  let v = value;
  for (const seg of path) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
    if (!(seg in v)) return false;
    v = v[seg];
  }
  return true;
}

/**
 * The platforms' `canIUse(schema)` answered from a dialect object: `'batchSetStorage'` is true when
 * the object has that property (a function, or any value that is not undefined);
 * `'<api>.object.success|fail|complete'` is true for an asynchronous API (not `…Sync`);
 * `'<api>.return.<field>…'` calls a read-only API (`getSystemInfoSync`, `getStorageInfoSync`, …)
 * and looks for the field; `'<property>.<field>…'` walks the object. Anything else (component
 * schemas like `'button.open-type.share'`, options the object cannot tell) is false.
 * `api` defaults to the dialect object installed last by installGlobals().
 */
function canIUse(name, api = host.api) {
  if (typeof name !== 'string' || name === '' || api === null || typeof api !== 'object') return false;
  const [head, ...rest] = name.split('.');
  if (!(head in api)) return false;
  const value = api[head];
  if (value === undefined) return false;
  if (rest.length === 0) return true;
  if (typeof value !== 'function') return hasPath(value, rest);
  const [kind, ...path] = rest;
  if (kind === 'object') return path.length === 1 && CALLBACKS.has(path[0]) && !head.endsWith('Sync');
  if (kind === 'return' && READ_ONLY.has(head)) {
    let result;
    try {
      result = value.call(api);
    } catch {
      return false;
    }
    return hasPath(result, path);
  }
  return false;
}

/** The dialect object and platform of a createMiniProgram / createMiniGame result. */
function dialectOf(mp, platform) {
  if (mp === null || typeof mp !== 'object') throw new TypeError('installGlobals needs the result of createMiniProgram or createMiniGame');
  const p = platform ?? mp.platform;
  checkPlatform(p);
  // The API object's own name: `tt` for Douyin mini-apps and Lark.
  const object = p === mp.platform ? mp.object ?? p : p;
  const api = mp[object];
  if (api === null || typeof api !== 'object') throw new TypeError(`installGlobals: the program has no '${object}' object`);
  return { platform: p, object, api };
}

/**
 * Stands up a mini-program host on globalThis for `mp` (a createMiniProgram / createMiniGame
 * result): `globalThis[platform]` is its dialect object; `getCurrentPages` and `getApp` become
 * globals; the dialect object gains `canIUse(name)` and `getSystemInfoSync()` (a property it
 * already has is left alone); a `navigator` with the platform's user agent is added only when
 * globalThis has none (Node 20). Options: `pages` (the page stack), `app` (the app object),
 * `systemInfo` (fields merged over the platform's static info), `platform` (default mp.platform).
 * Returns `uninstall()`, which restores every global, the host state and the dialect object as
 * they were (it can be called more than once).
 */
function installGlobals(mp, options = {}) {
  const { platform, object, api } = dialectOf(mp, options.platform);
  const saved = { pages: host.pages, app: host.app, api: host.api, platform: host.platform };
  const info = { ...SYSTEM_INFO[family(platform)], ...(options.systemInfo ?? {}) };

  if (options.pages !== undefined) setCurrentPages(options.pages);
  if (options.app !== undefined) setApp(options.app);
  host.api = api;
  host.platform = platform;

  const globals = {
    [object]: api,
    getCurrentPages,
    getApp,
  };
  if (globalThis.navigator === undefined) globals.navigator = { userAgent: USER_AGENT[family(platform)], language: info.language };
  const previous = new Map();
  for (const [name, value] of Object.entries(globals)) {
    previous.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
  }

  const methods = {
    canIUse: (name) => canIUse(name, api),
    getSystemInfoSync: () => copyInfo(info),
  };
  const added = [];
  for (const [name, fn] of Object.entries(methods)) {
    if (!(name in api)) {
      api[name] = fn;
      added.push([name, fn]);
    }
  }

  let done = false;
  return function uninstall() {
    if (done) return;
    done = true;
    for (const [name, descriptor] of previous) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete globalThis[name];
    }
    // Remove only what is still ours: a framework may have replaced it since.
    for (const [name, fn] of added) if (api[name] === fn) delete api[name];
    Object.assign(host, saved);
  };
}

module.exports = { installGlobals, getCurrentPages, setCurrentPages, getApp, setApp, canIUse, getSystemInfoSync };
