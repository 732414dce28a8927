'use strict';
// What the test-runner presets share (jest.js, vitest.mjs): one in-memory store per test file,
// the dialect object on globalThis as on a device (`wx`, `my` or `tt`, with getCurrentPages,
// getApp, canIUse and getSystemInfoSync), the program as `globalThis.mpstore`, a reset before each
// test (MPSTORE_RESET), and the store closed and the globals restored after the file.
//
// Configuration, each field on its own, first found wins:
//   1. the object the runner's glue passes (vitest: `inject('mpstore')`, from `test.provide`);
//   2. `globalThis.__MPSTORE__` (jest: `globals: {__MPSTORE__: {...}}`; vitest: `define`);
//   3. the environment: MPSTORE_PLATFORM, MPSTORE_USER, MPSTORE_APP, MPSTORE_SCOPE, MPSTORE_RESET;
//   4. the defaults: wx, test-user, test-app, app, test.

const { createMiniProgram, installGlobals } = require('../index');

const DEFAULTS = { platform: 'wx', user: 'test-user', app: 'test-app', scope: 'app', reset: 'test', values: 'device' };
const ENV = {
  platform: 'MPSTORE_PLATFORM',
  user: 'MPSTORE_USER',
  app: 'MPSTORE_APP',
  scope: 'MPSTORE_SCOPE',
  reset: 'MPSTORE_RESET',
  values: 'MPSTORE_VALUES',
};
const RESETS = ['test', 'file', 'never'];

/** `'app'`, `'webview'`, `'plugin:<id>'` (the environment's spelling) or `{plugin: id}`. */
function scopeOf(scope) {
  if (typeof scope === 'string' && scope.startsWith('plugin:')) return { plugin: scope.slice('plugin:'.length) };
  return scope;
}

/**
 * The preset's configuration: `{platform, user, app, scope, reset, values, globals}`, each field taken from
 * `given`, else `globalThis.__MPSTORE__`, else the environment, else the default. `globals` (only
 * from the objects) is passed to installGlobals (`pages`, `app`, `systemInfo`).
 */
function readConfig(given, env = process.env) {
  const sources = [given, globalThis.__MPSTORE__].filter((s) => s !== null && typeof s === 'object');
  const config = {};
  for (const field of Object.keys(DEFAULTS)) {
    const fromObject = sources.find((s) => s[field] !== undefined && s[field] !== '');
    const fromEnv = env[ENV[field]];
    if (fromObject) config[field] = fromObject[field];
    else if (fromEnv !== undefined && fromEnv !== '') config[field] = fromEnv;
    else config[field] = DEFAULTS[field];
  }
  config.scope = scopeOf(config.scope);
  if (!RESETS.includes(config.reset)) {
    throw new TypeError(`mpstore preset: reset (MPSTORE_RESET) must be 'test', 'file' or 'never', not ${JSON.stringify(config.reset)}`);
  }
  const withGlobals = sources.find((s) => s.globals !== undefined);
  config.globals = withGlobals ? withGlobals.globals : {};
  return config;
}

/**
 * Opens the file's store and stands the host up on globalThis, now (so that code imported at the
 * top of a test file already finds `wx`). Returns the hooks the runner's glue registers:
 * `beforeAll` (reset when `reset: 'file'`), `beforeEach` (reset when `reset: 'test'`) and
 * `afterAll` (uninstall the globals, close the store).
 */
function start(given) {
  const config = readConfig(given);
  const mp = createMiniProgram({
    platform: config.platform,
    user: config.user,
    app: config.app,
    scope: config.scope,
    values: config.values,
    dataDir: ':memory:', // per file: parallel workers and files never share a store
    engine: 'addon', // the bridge engine has no in-memory store
  });
  const uninstallHost = installGlobals(mp, config.globals);
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'mpstore');
  Object.defineProperty(globalThis, 'mpstore', { value: mp, writable: true, configurable: true, enumerable: true });

  let closed = null;
  return {
    mp,
    config,
    beforeAll() {
      if (config.reset === 'file') mp.host.reset();
    },
    beforeEach() {
      if (config.reset === 'test') mp.host.reset();
    },
    afterAll() {
      if (!closed) {
        uninstallHost();
        if (globalThis.mpstore === mp) {
          if (previous) Object.defineProperty(globalThis, 'mpstore', previous);
          else delete globalThis.mpstore;
        }
        closed = mp.close();
      }
      return closed;
    },
  };
}

module.exports = { start, readConfig, DEFAULTS };
