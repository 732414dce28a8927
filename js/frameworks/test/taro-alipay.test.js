'use strict';
// Taro 4 (the alipay platform plugin's runtime, @tarojs/plugin-platform-alipay/dist/runtime.js,
// and @tarojs/taro) unmodified on mpstore's `my`. Taro keeps WeChat's signatures and adapts them
// to Alipay's: `Taro.setStorageSync(key, data)` calls `my.setStorageSync({key, data})`, and
// `Taro.getStorageSync(key)` unwraps `my.getStorageSync({key})`'s `{data}` (`''` when null).
//
// Taro-specific, set here and not by the package: Taro's bundler replaces `process.env.TARO_ENV`,
// `process.env.TARO_PLATFORM` and the `ENABLE_*` constants at build time (DefinePlugin); in Node
// they are set below, with the values of a default Taro mini-program build. The host's globals
// (`my`, `getCurrentPages`, `getApp`, `my.canIUse`, `my.getSystemInfoSync`, and the `navigator`
// this runtime reads at load, which Node 20 lacks) come from the package's installGlobals().
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram, installGlobals } = require('../..');

Object.assign(process.env, { TARO_ENV: 'alipay', TARO_PLATFORM: 'mini', FRAMEWORK: 'react' });
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
  mp = createMiniProgram({ platform: 'my', user: 'alipay-user', app: '2021000000000000', dataDir: ':memory:' });
  uninstall = installGlobals(mp);
  await import('@tarojs/plugin-platform-alipay/dist/runtime.js');
  Taro = require('@tarojs/taro');
});

after(async () => {
  uninstall();
  await mp.close();
});

test('Taro took its APIs from our my object', () => {
  assert.equal(Taro.miniGlobal, mp.my);
  for (const api of ['setStorage', 'getStorage', 'removeStorage', 'setStorageSync', 'getStorageSync']) {
    assert.equal(typeof Taro[api], 'function', api);
  }
  assert.equal(Taro.getSystemInfoSync().platform, 'devtools');
  // Alipay has no batchSetStorage, and Taro's canIUse is my.canIUse.
  assert.equal(Taro.canIUse('batchSetStorage'), false);
  assert.equal(Taro.canIUse('getStorage'), true);
});

test('Taro.setStorage / Taro.getStorage (Promise form) store in mpstore, with Alipay results', async () => {
  assert.deepEqual(await Taro.setStorage({ key: 'currentCity', data: { cityName: '杭州', adCode: '330100' } }), {
    success: true,
  });
  assert.deepEqual(mp.my.getStorageSync({ key: 'currentCity' }), { data: { cityName: '杭州', adCode: '330100' } });
  assert.deepEqual(await Taro.getStorage({ key: 'currentCity' }), { data: { cityName: '杭州', adCode: '330100' } });
});

test('Taro.getStorage of a missing key resolves {data: null}, as my.getStorage does', async () => {
  assert.deepEqual(await Taro.getStorage({ key: 'missing' }), { data: null });
});

test('Taro.setStorage of an oversized value rejects with the Alipay failure', async () => {
  await assert.rejects(Taro.setStorage({ key: 'big', data: 'x'.repeat(204_801) }), (err) => {
    assert.deepEqual(err, { error: 14, errorMessage: 'data长度超限' });
    return true;
  });
  assert.deepEqual(mp.my.getStorageSync({ key: 'big' }), { data: null });
});

test("Taro.setStorageSync / getStorageSync adapt to my's object form; a missing key is ''", () => {
  assert.deepEqual(Taro.setStorageSync('token', 'abc'), { success: true });
  assert.deepEqual(mp.my.getStorageSync({ key: 'token' }), { data: 'abc' });
  assert.equal(Taro.getStorageSync('token'), 'abc');
  assert.equal(Taro.getStorageSync('missing'), '');
  Taro.removeStorageSync('token');
  assert.equal(Taro.getStorageSync('token'), '');
  // Alipay's Sync forms never throw: the failure is the result.
  assert.deepEqual(Taro.setStorageSync('big', 'x'.repeat(204_801)), { success: false, error: 14, errorMessage: 'data长度超限' });
});

test('Taro.getStorage with callbacks on Alipay', async () => {
  const calls = [];
  await Taro.getStorage({
    key: 'currentCity',
    success: (res) => calls.push(['success', res.data.cityName]),
    fail: () => calls.push('fail'),
    complete: () => calls.push('complete'),
  });
  assert.deepEqual(calls, [['success', '杭州'], 'complete']);
});
