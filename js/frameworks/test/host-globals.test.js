'use strict';
// The package's host helpers on their own: what installGlobals() puts on globalThis and on the
// dialect object, canIUse's answers, the static system info, and uninstall().
const { test } = require('node:test');
const assert = require('node:assert/strict');
const mpstore = require('../..');

const { createMiniProgram, installGlobals, canIUse, getSystemInfoSync, getCurrentPages, setCurrentPages, getApp, setApp } = mpstore;

test('installGlobals installs the dialect object and the helpers, uninstall restores', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  const sentinel = () => 'the previous getApp';
  globalThis.getApp = sentinel;
  const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  assert.equal(globalThis.wx, undefined);
  const page = { route: 'pages/index/index', options: {} };
  const app = { globalData: { theme: 'dark' } };
  const uninstall = installGlobals(mp, { pages: [page], app, systemInfo: { windowHeight: 700 } });

  assert.equal(globalThis.wx, mp.wx);
  assert.equal(typeof globalThis.navigator.userAgent, 'string'); // Node's own, or one for the host (Node 20)
  assert.equal(globalThis.getCurrentPages, getCurrentPages);
  assert.deepEqual(globalThis.getCurrentPages(), [page]);
  getCurrentPages().push({ route: 'pages/detail/detail' });
  assert.equal(globalThis.getCurrentPages().length, 2);
  assert.equal(globalThis.getApp(), app);
  assert.equal(globalThis.getApp({ allowDefault: true }), app);
  assert.equal(typeof mp.wx.canIUse, 'function');
  assert.equal(mp.wx.getSystemInfoSync().windowHeight, 700);
  assert.equal(mp.wx.getSystemInfoSync().platform, 'devtools');
  mp.wx.getSystemInfoSync().safeArea.top = 0; // a fresh copy each call
  assert.equal(mp.wx.getSystemInfoSync().safeArea.top, 47);

  uninstall();
  uninstall();
  assert.equal(globalThis.wx, undefined);
  assert.equal('wx' in globalThis, false);
  assert.equal(globalThis.getApp, sentinel);
  assert.deepEqual(Object.getOwnPropertyDescriptor(globalThis, 'navigator'), navigator);
  assert.equal('getCurrentPages' in globalThis, false);
  assert.equal('canIUse' in mp.wx, false);
  assert.equal('getSystemInfoSync' in mp.wx, false);
  delete globalThis.getApp;
  await mp.close();
});

test('installGlobals leaves a property the object already has', async () => {
  const mp = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir: ':memory:' });
  const own = () => true;
  mp.tt.canIUse = own;
  const uninstall = installGlobals(mp);
  assert.equal(globalThis.tt.canIUse, own);
  assert.equal(typeof globalThis.tt.getSystemInfoSync, 'function');
  uninstall();
  assert.equal(mp.tt.canIUse, own);
  await mp.close();
});

test('canIUse answers from the dialect object', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  const other = mp.as({ platform: 'my' });
  const uninstall = installGlobals(mp);
  for (const api of ['setStorage', 'getStorageSync', 'batchSetStorage', 'batchGetStorageSync', 'nothingLikeThis']) {
    assert.equal(mp.wx.canIUse(api), typeof mp.wx[api] === 'function', api);
    assert.equal(canIUse(api, other.my), typeof other.my[api] === 'function', `my.${api}`);
  }
  assert.equal(canIUse('batchSetStorage'), true, 'the installed object by default');
  assert.equal(canIUse('batchSetStorage', other.my), false);
  assert.equal(mp.wx.canIUse('getSystemInfoSync.return.screenWidth'), true);
  assert.equal(mp.wx.canIUse('getSystemInfoSync.return.safeArea.top'), true);
  assert.equal(mp.wx.canIUse('getSystemInfoSync.return.nope'), false);
  assert.equal(mp.wx.canIUse('getStorageInfoSync.return.limitSize'), true);
  assert.equal(mp.wx.canIUse('setStorage.object.success'), true);
  assert.equal(mp.wx.canIUse('setStorageSync.object.success'), false);
  assert.equal(mp.wx.canIUse('setStorage.object.encrypt'), false, 'options are not known from the object');
  assert.equal(mp.wx.canIUse('button.open-type.share'), false);
  assert.equal(mp.wx.canIUse(''), false);
  mp.wx.env = { USER_DATA_PATH: 'wxfile://usr' };
  assert.equal(mp.wx.canIUse('env.USER_DATA_PATH'), true);
  assert.equal(mp.wx.canIUse('env.TEMP'), false);
  uninstall();
  await mp.close();
});

test('getSystemInfoSync: a static info per platform', () => {
  for (const p of ['wx', 'my', 'tt', 'qq', 'ks', 'swan', 'tt-app', 'lark']) {
    const info = getSystemInfoSync(p);
    assert.equal(info.platform, 'devtools');
    assert.match(info.SDKVersion, /^\d+\.\d+\.\d+$/);
    assert.equal(typeof info.windowWidth, 'number');
    assert.equal(typeof info.pixelRatio, 'number');
  }
  assert.equal(getSystemInfoSync('my').app, 'alipay');
  assert.throws(() => getSystemInfoSync('xx'), TypeError);
});

test('setCurrentPages / setApp replace the host state', () => {
  const pages = setCurrentPages([{ route: 'a' }]);
  assert.equal(getCurrentPages(), pages);
  const app = setApp({ globalData: {} });
  assert.equal(getApp(), app);
  assert.throws(() => setCurrentPages('a'), TypeError);
});
