'use strict';
// The host tooling a test uses around the program: seed, dump, reset, snapshot, restore
// (docs/dump.md), on the engine MPSTORE_ENGINE names.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram, createMiniGame } = require('..');

test('seed writes through the dialect, limits and all', async () => {
  const mp = createMiniProgram({ platform: 'my', user: 'u', app: 'a' });
  mp.host.seed({ city: { name: '杭州' }, when: new Date(7) });
  // Alipay stores values through JSON: a Date comes back as its ISO string.
  assert.deepEqual(mp.my.getStorageSync({ key: 'when' }), { data: new Date(7).toISOString() });
  assert.throws(() => mp.host.seed({ big: 'x'.repeat(204_801) }), { error: 14 });
  await mp.close();
});

test('dump keeps keys in insertion order and values with their types', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', values: 'exact' });
  mp.host.seed({ b: undefined, a: [NaN, -0] });
  mp.wx.setStorage({ key: 's', data: 'x', encrypt: true });
  await mp.wx.getStorageInfo();
  mp.webview().wx.setStorageSync('w', 1);
  const dump = mp.host.dump();
  assert.equal(dump.format, 'mpstore-dump');
  assert.deepEqual(
    dump.namespaces.map((n) => n.scope),
    ['app', 'webview'],
  );
  assert.deepEqual(dump.namespaces[0].data, [
    { key: 'b', value: { $js: 'undefined' } },
    { key: 'a', value: [{ $js: 'number', value: 'NaN' }, { $js: 'number', value: '-0' }] },
    { key: 's', value: 'x', encrypt: true },
  ]);
  assert.equal(dump.namespaces[0].entries, 3);
  assert.deepEqual(mp.host.dump('this').namespaces.length, 1);
  await mp.close();
});

test('restore makes the store exactly the snapshot; reset empties it', async () => {
  const mp = createMiniProgram({ platform: 'tt', user: 'u', app: 'a' });
  mp.host.seed({ k1: 1, k2: { deep: [new Date(1)] } });
  const snapshot = mp.host.snapshot();
  mp.tt.removeStorageSync('k1');
  mp.tt.setStorageSync('k3', 3);
  mp.as({ app: 'other' }).tt.setStorageSync('x', 1);
  mp.host.restore(snapshot);
  assert.deepEqual(mp.host.snapshot(), snapshot);
  assert.deepEqual(mp.tt.getStorageInfoSync().keys, ['k1', 'k2']);
  assert.deepStrictEqual(mp.tt.getStorageSync('k2'), { deep: [new Date(1)] });
  assert.equal(mp.as({ app: 'other' }).tt.getStorageSync('x'), '');
  mp.host.reset();
  assert.deepEqual(mp.host.dump().namespaces, []);
  await mp.close();
});

test('a dump that is not one is refused, and nothing changes', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a' });
  mp.host.seed({ k: 1 });
  const bad = { format: 'mpstore-dump', version: 1, namespaces: [{ kind: 'local', user: 'u', app: 'a', data: [{ key: 7 }] }] };
  assert.throws(() => mp.host.restore(bad), /namespace 0, entry 0: "key" must be a string/);
  assert.equal(mp.wx.getStorageSync('k'), 1);
  await mp.close();
});

// ---- faults, limits, availability (the addon engine) -----------------------------------------

const addonTest = (process.env.MPSTORE_ENGINE ?? 'addon') === 'addon' ? test : () => {};

/** [platform, api, fault, what the call answers] */
const FAULTS = [
  ['wx', 'setStorageSync', 'quota', { throws: { errMsg: 'setStorageSync:fail quota reached' } }],
  ['wx', 'getStorageSync', 'internal', { throws: { errMsg: 'getStorageSync:fail internal error' } }],
  ['tt', 'setStorageSync', 'entry', { throws: { errMsg: 'setStorageSync:fail exceed storage item max length', errNo: 21101 } }],
  ['my', 'setStorageSync', 'quota', { returns: { success: false, error: 12, errorMessage: '存储总大小达到上限' } }],
  ['wx', 'setStorage', 'entry', { fails: { errMsg: 'setStorage:fail entry size limit reached' } }],
  ['my', 'getStorage', 'internal', { fails: { error: 3, errorMessage: '存储读写失败' } }],
];

/** Calls `api` of `o` as a test would, with arguments of its form. */
function callOf(o, platform, api) {
  const args = api.endsWith('Sync')
    ? platform === 'my' ? [{ key: 'k', data: 1 }] : ['k', 1]
    : [{ key: 'k', data: 1 }];
  return o[api](...args);
}

for (const [platform, api, fault, expected] of FAULTS) {
  addonTest(`fault: ${platform}.${api} fails with '${fault}' in the dialect's shape, once`, async () => {
    const mp = createMiniProgram({ platform, user: 'u', app: 'a', dataDir: ':memory:' });
    const o = mp[platform];
    mp.host.fail(api, fault);
    if (expected.throws) assert.throws(() => callOf(o, platform, api), expected.throws);
    if (expected.returns) assert.deepEqual(callOf(o, platform, api), expected.returns);
    if (expected.fails) await assert.rejects(callOf(o, platform, api), (e) => (assert.deepEqual(e, expected.fails), true));
    // The fault fires once: the next call succeeds (a throw or a rejection would fail the test).
    const again = callOf(o, platform, api);
    if (again && typeof again.then === 'function') await again;
    else assert.notEqual(again && again.success, false, 'the next Alipay Sync call succeeds');
    await mp.close();
  });
}

addonTest('fault: the n-th call fails; reset() clears faults and delays', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  mp.host.fail('setStorageSync', 'internal', { nth: 3 });
  mp.wx.setStorageSync('a', 1);
  mp.wx.setStorageSync('b', 1);
  assert.throws(() => mp.wx.setStorageSync('c', 1), { errMsg: 'setStorageSync:fail internal error' });
  assert.deepEqual(mp.wx.getStorageInfoSync().keys, ['a', 'b']);
  mp.host.fail('setStorageSync', 'internal');
  mp.host.delay('getStorage', 10_000);
  mp.host.reset();
  mp.wx.setStorageSync('d', 1);
  assert.deepEqual(await mp.wx.getStorage({ key: 'd' }), { data: 1, errMsg: 'getStorage:ok' });
  await mp.close();
});

addonTest('fault: a cloud call fails with a Douyin errorCode', async () => {
  const game = createMiniGame({ platform: 'tt', game: 'g', openid: 'o', dataDir: ':memory:' });
  game.host.fail('setUserCloudStorage', '999998');
  await assert.rejects(game.tt.setUserCloudStorage({ KVDataList: [{ key: 'k', value: 'v' }] }), {
    errMsg: 'setUserCloudStorage:fail get session id failed',
    errorCode: 999998,
  });
  await game.close();
});

addonTest('delay: an async callback arrives later, still in call order', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  mp.host.delay('setStorage', 30);
  const order = [];
  const started = Date.now();
  mp.wx.setStorage({ key: 'k', data: 1, success: () => order.push(['set', Date.now() - started]) });
  await mp.wx.getStorage({ key: 'k' }).then(() => order.push(['get']));
  assert.equal(order[0][0], 'set');
  assert.ok(order[0][1] >= 25, `${order[0][1]} ms`);
  assert.deepEqual(order[1], ['get']);
  await mp.close();
});

addonTest('limits: per program, in the dialect\'s unit, with the platform\'s refusals', async () => {
  const wx = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:', limits: { total: 512 * 1024, entry: 1000 } });
  assert.equal(wx.wx.getStorageInfoSync().limitSize, 512);
  wx.wx.setStorageSync('k', 'x'.repeat(999 - 1)); // key + value = 999 units
  assert.throws(() => wx.wx.setStorageSync('k', 'x'.repeat(1000)), { errMsg: 'setStorageSync:fail entry size limit reached' });
  assert.equal(wx.webview().wx.getStorageInfoSync().limitSize, 512, 'its other scopes too');
  const tt = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir: ':memory:', limits: { total: 10 } });
  tt.tt.setStorageSync('a', '杭州'); // 8 UTF-8 bytes with its quotes
  assert.throws(() => tt.tt.setStorageSync('b', 'xyz'), { errNo: 21102 });
  assert.throws(() => createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:', limits: { total: -1 } }), TypeError);
  await wx.close();
  await tt.close();
});

addonTest('fill: the namespace is filled to a level of its quota', async () => {
  const my = createMiniProgram({ platform: 'my', user: 'u', app: 'a', dataDir: ':memory:', limits: { total: 300_000 } });
  my.host.fill(0.8);
  const { currentSize, limitSize } = my.my.getStorageInfoSync();
  assert.ok(currentSize >= limitSize * 0.75 && currentSize <= limitSize * 0.8 + 1, `${currentSize} of ${limitSize}`);
  assert.deepEqual(my.my.setStorageSync({ key: 'k', data: 'x'.repeat(100_000) }), { success: false, error: 12, errorMessage: '存储总大小达到上限' });
  await my.close();
});

addonTest('availability: with a base library, only what the device offers there', async () => {
  const old = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:', baseLibrary: '2.24.9' });
  assert.equal(typeof old.wx.batchSetStorage, 'undefined');
  assert.equal(old.wx.canIUse('batchGetStorageSync'), false);
  assert.equal(old.wx.canIUse('setStorageSync'), true);
  const now = old.as({});
  const recent = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:', baseLibrary: '2.25.0' });
  assert.equal(typeof recent.wx.batchSetStorage, 'function');
  const plugin = recent.plugin('p');
  for (const name of ['clearStorage', 'clearStorageSync', 'getStorageInfo', 'getStorageInfoSync', 'batchSetStorage']) {
    assert.equal(typeof plugin.wx[name], 'undefined', name);
    assert.equal(plugin.wx.canIUse(name), false, name);
  }
  assert.equal(typeof plugin.wx.setStorageSync, 'function');
  const everything = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  assert.equal(typeof everything.plugin('p').wx.batchSetStorage, 'function', 'opt-in only');
  await Promise.all([old, now, recent, everything].map((m) => m.close()));
});

test("the presets' values setting: device by default, exact from the runner or MPSTORE_VALUES", () => {
  const { readConfig } = require('../src/presets/core');
  assert.equal(readConfig({}, {}).values, 'device');
  assert.equal(readConfig({}, { MPSTORE_VALUES: 'exact' }).values, 'exact');
  assert.equal(readConfig({ values: 'exact' }, { MPSTORE_VALUES: 'device' }).values, 'exact');
});
