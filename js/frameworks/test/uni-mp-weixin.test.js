'use strict';
// uni-app (the mp-weixin API runtime, @dcloudio/uni-mp-weixin/dist/uni.api.esm.js, ESM, loaded
// with import()) unmodified on mpstore's `wx`: `uni.*` storage APIs go through our object.
//
// What the runtime reads from the host when it loads: the global `wx` (it copies the object's
// functions into a new `wx` that it puts on globalThis), `wx.getSystemInfoSync()` (locale, device
// info), and `getApp` / `getCurrentPages` later; all come from the package's installGlobals().
// It needs no `__uniConfig`.
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
  mp = createMiniProgram({ platform: 'wx', user: 'wx-user', app: 'wx-app', dataDir: ':memory:' });
  uninstall = installGlobals(mp);
  uni = (await import('@dcloudio/uni-mp-weixin/dist/uni.api.esm.js')).default;
});

after(async () => {
  uninstall();
  await mp.close();
});

test("uni's wx is a copy of our object's APIs", () => {
  assert.notEqual(globalThis.wx, mp.wx);
  for (const api of ['setStorage', 'getStorage', 'setStorageSync', 'getStorageSync', 'batchSetStorage', 'canIUse']) {
    assert.equal(globalThis.wx[api], mp.wx[api], api);
  }
  assert.equal(uni.canIUse('batchSetStorage'), true);
});

test('uni.setStorage / uni.getStorage (Promise form) store in mpstore', async () => {
  assert.deepEqual(await uni.setStorage({ key: 'profile', data: { nick: 'uni', tags: ['a', 'b'] } }), {
    errMsg: 'setStorage:ok',
  });
  assert.deepEqual(mp.wx.getStorageSync('profile'), { nick: 'uni', tags: ['a', 'b'] });
  assert.deepEqual(await uni.getStorage({ key: 'profile' }), {
    data: { nick: 'uni', tags: ['a', 'b'] },
    errMsg: 'getStorage:ok',
  });
});

test('uni.getStorage of a missing key: the Promise rejects, the callbacks get fail then complete', async () => {
  await assert.rejects(uni.getStorage({ key: 'missing' }), (err) => {
    assert.deepEqual(err, { errMsg: 'getStorage:fail data not found' });
    return true;
  });
  const calls = await new Promise((resolve) => {
    const seen = [];
    uni.getStorage({
      key: 'missing',
      success: () => seen.push('success'),
      fail: (res) => seen.push(['fail', res.errMsg]),
      complete: (res) => {
        seen.push(['complete', res.errMsg]);
        resolve(seen);
      },
    });
  });
  assert.deepEqual(calls, [
    ['fail', 'getStorage:fail data not found'],
    ['complete', 'getStorage:fail data not found'],
  ]);
});

test('uni.setStorageSync / getStorageSync / removeStorageSync', () => {
  uni.setStorageSync('count', 42);
  assert.equal(mp.wx.getStorageSync('count'), 42);
  assert.equal(uni.getStorageSync('count'), 42);
  assert.equal(uni.getStorageSync('missing'), '');
  uni.removeStorageSync('count');
  assert.equal(uni.getStorageSync('count'), '');
});

test("uni.getSystemInfoSync keeps uni's device id in our storage", async () => {
  const info = uni.getSystemInfoSync();
  assert.equal(info.platform, 'devtools');
  assert.equal(info.hostName, 'WeChat');
  assert.match(info.deviceId, /^\d+$/);
  // uni wrote it with wx.setStorage; calls settle in order, so a later read sees it.
  assert.deepEqual(await uni.getStorage({ key: '__DC_STAT_UUID' }), { data: info.deviceId, errMsg: 'getStorage:ok' });
  assert.ok(uni.getStorageInfoSync().keys.includes('__DC_STAT_UUID'));
});
