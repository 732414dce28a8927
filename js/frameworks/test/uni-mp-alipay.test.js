'use strict';
// uni-app (the mp-alipay API runtime, @dcloudio/uni-mp-alipay/dist/uni.api.esm.js, ESM, loaded
// with import()) unmodified on mpstore's `my`: uni keeps WeChat's signatures and adapts them to
// Alipay's (`uni.getStorageSync(key)` calls `my.getStorageSync({key})` and answers `''` for null;
// async results get an `errMsg`).
//
// What the runtime reads from the host when it loads: the global `my`, `my.canIUse(...)` (to pick
// APIs) and `my.getSystemInfoSync()`, and `getApp` / `getCurrentPages` later; all come from the
// package's installGlobals(). It needs no `__uniConfig`.
//
// uni-app-specific, set here and not by the package: a uni-app build aliases `vue` to
// @dcloudio/uni-mp-vue (the runtime imports `injectHook` from 'vue', which Vue's own Node entry
// does not export); the resolve hook below does the same alias for imports from @dcloudio.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { register } = require('node:module');
const { createMiniProgram, installGlobals } = require('../..');

register(
  'data:text/javascript,' +
    encodeURIComponent(
      "export async function resolve(s, c, next) { return next(s === 'vue' && c.parentURL && c.parentURL.includes('/@dcloudio/') ? '@dcloudio/uni-mp-vue' : s, c); }",
    ),
);

let mp;
let uninstall;
let uni;

before(async () => {
  mp = createMiniProgram({ platform: 'my', user: 'alipay-user', app: '2021000000000000', dataDir: ':memory:' });
  uninstall = installGlobals(mp);
  uni = (await import('@dcloudio/uni-mp-alipay/dist/uni.api.esm.js')).default;
});

after(async () => {
  uninstall();
  await mp.close();
});

test('uni.setStorage / uni.getStorage (Promise form) store in mpstore', async () => {
  assert.equal(globalThis.my, mp.my);
  assert.deepEqual(await uni.setStorage({ key: 'currentCity', data: { cityName: '杭州' } }), { errMsg: 'setStorage:ok' });
  assert.deepEqual(mp.my.getStorageSync({ key: 'currentCity' }), { data: { cityName: '杭州' } });
  assert.deepEqual(await uni.getStorage({ key: 'currentCity' }), { data: { cityName: '杭州' }, errMsg: 'getStorage:ok' });
});

test('uni.getStorage of a missing key resolves {data: null}, as my.getStorage does', async () => {
  assert.deepEqual(await uni.getStorage({ key: 'missing' }), { data: null, errMsg: 'getStorage:ok' });
});

test("an Alipay failure becomes uni's errMsg: the Promise rejects, fail is called", async () => {
  const big = 'x'.repeat(204_801);
  await assert.rejects(uni.setStorage({ key: 'big', data: big }), (err) => {
    assert.deepEqual(err, { errMsg: 'setStorage:fail data长度超限' });
    return true;
  });
  const calls = await new Promise((resolve) => {
    const seen = [];
    uni.setStorage({
      key: 'big',
      data: big,
      success: () => seen.push('success'),
      fail: (res) => seen.push(['fail', res.errMsg]),
      // Not checking complete's argument: uni rewrites the result object in place for fail, then
      // again for complete (an Alipay result with no `error` left reads as ':ok').
      complete: () => {
        seen.push('complete');
        resolve(seen);
      },
    });
  });
  assert.deepEqual(calls, [['fail', 'setStorage:fail data长度超限'], 'complete']);
  assert.deepEqual(mp.my.getStorageSync({ key: 'big' }), { data: null });
});

test("uni.setStorageSync / getStorageSync adapt to my's object form; a missing key is ''", () => {
  assert.deepEqual(uni.setStorageSync('token', 'abc'), { success: true });
  assert.deepEqual(mp.my.getStorageSync({ key: 'token' }), { data: 'abc' });
  assert.equal(uni.getStorageSync('token'), 'abc');
  assert.equal(uni.getStorageSync('missing'), '');
  uni.removeStorageSync('token');
  assert.equal(uni.getStorageSync('token'), '');
  assert.deepEqual(uni.setStorageSync('big', 'x'.repeat(204_801)), { success: false, error: 14, errorMessage: 'data长度超限' });
});

test('uni.getStorageInfo / getSystemInfoSync on Alipay', async () => {
  const info = await uni.getStorageInfo();
  assert.equal(info.errMsg, 'getStorageInfo:ok');
  assert.ok(info.keys.includes('currentCity'));
  const sys = uni.getSystemInfoSync();
  assert.equal(sys.platform, 'devtools');
  assert.equal(sys.hostName, 'alipay');
  // uni keeps its device id with my.setStorage; calls settle in order, so a later read sees it.
  assert.deepEqual(await uni.getStorage({ key: '__DC_STAT_UUID' }), { data: sys.deviceId, errMsg: 'getStorage:ok' });
});
