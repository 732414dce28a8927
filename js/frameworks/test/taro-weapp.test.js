'use strict';
// Taro 4 (the weapp platform plugin's runtime, @tarojs/plugin-platform-weapp/dist/runtime.js, and
// @tarojs/taro) unmodified on mpstore's `wx`: Taro's storage APIs go through our object.
//
// Taro-specific, set here and not by the package: Taro's bundler replaces `process.env.TARO_ENV`,
// `process.env.TARO_PLATFORM` and the `ENABLE_*` constants at build time (DefinePlugin); in Node
// they are set below, with the values of a default Taro mini-program build. Everything the host
// provides (`wx`, `getCurrentPages`, `getApp`, `wx.canIUse`, `wx.getSystemInfoSync`) comes from
// the package's installGlobals().
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram, installGlobals } = require('../..');

Object.assign(process.env, { TARO_ENV: 'weapp', TARO_PLATFORM: 'mini', FRAMEWORK: 'react' });
Object.assign(globalThis, {
  ENABLE_INNER_HTML: true,
  ENABLE_ADJACENT_HTML: false,
  ENABLE_SIZE_APIS: false,
  ENABLE_TEMPLATE_CONTENT: false,
  ENABLE_CLONE_NODE: false,
  ENABLE_CONTAINS: false,
  ENABLE_MUTATION_OBSERVER: false,
});

let mp;
let uninstall;
let Taro;

before(async () => {
  mp = createMiniProgram({ platform: 'wx', user: 'wx-user', app: 'wx-app', dataDir: ':memory:' });
  uninstall = installGlobals(mp);
  // The platform plugin's runtime registers initNativeApi; @tarojs/taro calls it on load.
  await import('@tarojs/plugin-platform-weapp/dist/runtime.js');
  Taro = require('@tarojs/taro');
});

after(async () => {
  uninstall();
  await mp.close();
});

test('Taro took its APIs from our wx object', () => {
  assert.equal(Taro.miniGlobal, mp.wx);
  for (const api of ['setStorage', 'getStorage', 'removeStorage', 'setStorageSync', 'getStorageSync', 'batchSetStorage']) {
    assert.equal(typeof Taro[api], 'function', api);
  }
  assert.equal(Taro.getSystemInfoSync().platform, 'devtools');
  assert.equal(Taro.canIUse('batchSetStorage'), true);
  assert.equal(Taro.canIUse('getStorageInfoSync.return.keys'), true);
  assert.equal(Taro.getCurrentPages(), getCurrentPages());
});

test('Taro.setStorage / Taro.getStorage (Promise form) store in mpstore', async () => {
  assert.deepEqual(await Taro.setStorage({ key: 'user', data: { name: '小明', age: 18, at: new Date(0) } }), {
    errMsg: 'setStorage:ok',
  });
  // WeChat stores objects through JSON: the Date inside comes back as its ISO string.
  assert.deepEqual(mp.wx.getStorageSync('user'), { name: '小明', age: 18, at: '1970-01-01T00:00:00.000Z' });
  mp.wx.setStorageSync('theme', 'dark');
  assert.deepEqual(await Taro.getStorage({ key: 'theme' }), { data: 'dark', errMsg: 'getStorage:ok' });
});

test('Taro.getStorage of a missing key rejects with the WeChat failure', async () => {
  await assert.rejects(Taro.getStorage({ key: 'missing' }), (err) => {
    assert.deepEqual(err, { errMsg: 'getStorage:fail data not found' });
    return true;
  });
});

test('Taro.getStorage with callbacks: fail then complete, with the same failure', async () => {
  const calls = [];
  await assert.rejects(
    Taro.getStorage({
      key: 'missing',
      success: () => calls.push('success'),
      fail: (res) => calls.push(['fail', res.errMsg]),
      complete: (res) => calls.push(['complete', res.errMsg]),
    }),
  );
  assert.deepEqual(calls, [
    ['fail', 'getStorage:fail data not found'],
    ['complete', 'getStorage:fail data not found'],
  ]);
});

test('Taro.setStorageSync / getStorageSync / removeStorageSync', () => {
  assert.equal(Taro.setStorageSync('count', 3), undefined);
  assert.equal(Taro.getStorageSync('count'), 3);
  assert.equal(mp.wx.getStorageSync('count'), 3);
  assert.equal(Taro.getStorageSync('nothing'), '');
  Taro.removeStorageSync('count');
  assert.equal(Taro.getStorageSync('count'), '');
  assert.throws(() => Taro.setStorageSync('', 1), (e) => e instanceof Error && /^setStorageSync:fail/.test(e.message));
});

test('Taro.batchSetStorage / getStorageInfoSync', async () => {
  await Taro.clearStorage();
  assert.deepEqual(await Taro.batchSetStorage({ kvList: [{ key: 'a', value: 1 }, { key: 'b', value: [2] }] }), {
    errMsg: 'batchSetStorage:ok',
  });
  assert.deepEqual(Taro.getStorageInfoSync().keys, ['a', 'b']);
  assert.deepEqual(mp.wx.batchGetStorageSync(['a', 'b']), [1, [2]]);
});
