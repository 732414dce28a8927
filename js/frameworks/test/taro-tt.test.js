'use strict';
// Taro 4 (the tt platform plugin's runtime, @tarojs/plugin-platform-tt/dist/runtime.js, and
// @tarojs/taro) unmodified on mpstore's `tt`: Taro's storage APIs go through our object.
//
// Taro-specific, set here and not by the package: Taro's bundler replaces `process.env.TARO_ENV`,
// `process.env.TARO_PLATFORM`, `process.env.FRAMEWORK` and the `ENABLE_*` constants at build time
// (DefinePlugin); in Node they are set below, with the values of a default Taro mini-program
// build. The host's globals (`tt`, `getCurrentPages`, `getApp`, `tt.canIUse`,
// `tt.getSystemInfoSync`) come from the package's installGlobals().
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram, installGlobals } = require('../..');

Object.assign(process.env, { TARO_ENV: 'tt', TARO_PLATFORM: 'mini', FRAMEWORK: 'react' });
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
  mp = createMiniProgram({ platform: 'tt', user: 'tt-user', app: 'tt-app', dataDir: ':memory:' });
  uninstall = installGlobals(mp);
  await import('@tarojs/plugin-platform-tt/dist/runtime.js');
  Taro = require('@tarojs/taro');
});

after(async () => {
  uninstall();
  await mp.close();
});

test('Taro took its APIs from our tt object', () => {
  assert.equal(Taro.miniGlobal, mp.tt);
  for (const api of ['setStorage', 'getStorage', 'removeStorage', 'setStorageSync', 'getStorageSync']) {
    assert.equal(typeof Taro[api], 'function', api);
  }
  assert.equal(Taro.getSystemInfoSync().platform, 'devtools');
  assert.equal(Taro.canIUse('batchSetStorage'), typeof mp.tt.batchSetStorage === 'function');
});

test('Taro.setStorage / Taro.getStorage (Promise form) store in mpstore', async () => {
  assert.deepEqual(await Taro.setStorage({ key: 'video', data: { id: 7, liked: true } }), { errMsg: 'setStorage:ok' });
  assert.deepEqual(mp.tt.getStorageSync('video'), { id: 7, liked: true });
  assert.deepEqual(await Taro.getStorage({ key: 'video' }), { data: { id: 7, liked: true }, errMsg: 'getStorage:ok' });
});

test('Taro.getStorage of a missing key rejects with the Douyin failure', async () => {
  await assert.rejects(Taro.getStorage({ key: 'missing' }), (err) => {
    assert.deepEqual(err, { errMsg: 'getStorage:fail data not found, key == missing', errNo: 21101 });
    return true;
  });
});

test('Taro.setStorageSync / getStorageSync / removeStorageSync', () => {
  assert.equal(Taro.setStorageSync('count', 3), undefined);
  assert.equal(mp.tt.getStorageSync('count'), 3);
  assert.equal(Taro.getStorageSync('count'), 3);
  assert.equal(Taro.getStorageSync('nothing'), '');
  Taro.removeStorageSync('count');
  assert.equal(Taro.getStorageSync('count'), '');
  assert.deepEqual(Taro.getStorageInfoSync().keys, ['video']);
});
