'use strict';
// The dialects served from their specification (QQ, Kuaishou, Baidu, Douyin mini-apps, Lark)
// through JavaScript, on the engine MPSTORE_ENGINE names: the object's name, a missing key, an
// empty key, and each dialect's Sync failure style. Sources: docs/api.md, "Sources".
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram } = require('..');

/** [platform, object, missing key (async), empty key in setStorageSync: thrown or returned] */
const DIALECTS = [
  ['qq', 'qq', { fail: { errMsg: 'getStorage:fail data not found' } }, { thrown: { errMsg: 'setStorageSync:fail key is empty' } }],
  ['ks', 'ks', { fail: { errMsg: 'getStorage:fail data not found' } }, { thrown: { errMsg: 'setStorageSync:fail invalid key' } }],
  ['swan', 'swan', { success: { data: '', errMsg: 'getStorage:ok' } }, { returned: { errMsg: 'setStorageSync:fail 解析失败，请检查参数是否正确', errCode: 202 } }],
  ['tt-app', 'tt', { success: { data: '', errMsg: 'getStorage:ok' } }, {
    thrown: { errMsg: 'setStorageSync:fail the length of params.key should be greater than or equal to 1', errorCode: 117799, errorType: 'D' },
  }],
  ['lark', 'tt', { success: { data: '', errMsg: 'getStorage:ok' } }, {
    thrown: { errMsg: 'setStorageSync:fail the length of params.key should be greater than or equal to 1' },
  }],
];

test('dd: Alipay\'s runtime, with a missing key that fails', async () => {
  const mp = createMiniProgram({ platform: 'dd', user: 'u', app: 'a' });
  assert.deepEqual(await mp.dd.getStorage({ key: 'k' }).catch((e) => e), { error: 11, errorMessage: '查无此key' });
  assert.deepEqual(mp.dd.getStorageSync({ key: 'k' }), { data: null });
  assert.deepEqual(mp.dd.setStorageSync({ key: '', data: 1 }), { success: false, error: 2, errorMessage: '必填参数为空' });
  assert.deepEqual(mp.dd.setStorageSync({ key: 'k', data: 'x'.repeat(204_801) }), { success: false, error: 14, errorMessage: 'data长度超限' });
  assert.deepEqual(mp.dd.setStorageSync({ key: 'k', data: [1] }), { success: true });
  assert.deepEqual(await mp.dd.getStorage({ key: 'k' }), { data: [1] });
  await mp.close();
});

for (const [platform, object, missing, emptyKey] of DIALECTS) {
  test(`${platform}: its object, a missing key, an empty key`, async () => {
    const mp = createMiniProgram({ platform, user: 'u', app: 'a' });
    assert.equal(mp.object, object);
    const api = mp[object];
    assert.equal(typeof api.setStorageSync, 'function');
    assert.equal(api.batchSetStorage, undefined);
    const fired = await new Promise((resolve) => {
      api.getStorage({ key: 'k', success: (r) => resolve({ success: r }), fail: (r) => resolve({ fail: r }) });
    });
    assert.deepEqual(fired, missing);
    assert.equal(api.getStorageSync('k'), '');
    if (emptyKey.thrown) {
      assert.throws(() => api.setStorageSync('', 1), (e) => e instanceof Error && Object.entries(emptyKey.thrown).every(([k, v]) => e[k] === v));
    } else {
      const r = api.setStorageSync('', 1);
      assert.ok(r instanceof Error, 'Baidu returns the Error');
      for (const [k, v] of Object.entries(emptyKey.returned)) assert.equal(r[k], v, k);
      assert.equal(r.message, emptyKey.returned.errMsg);
    }
    api.setStorageSync('k', { v: 1 });
    assert.deepEqual(await api.getStorage({ key: 'k' }), { data: { v: 1 }, errMsg: 'getStorage:ok' });
    assert.deepEqual(api.getStorageInfoSync().keys, ['k']);
    await mp.close();
  });
}

const ALL = ['wx', 'my', 'tt', 'qq', 'ks', 'swan', 'tt-app', 'lark', 'dd'];

test('seed and fill write through each dialect\'s own Sync form, and stop at its failures', async () => {
  for (const platform of ALL) {
    // A small quota to fill, where the engine takes limits (the addon).
    const small = (process.env.MPSTORE_ENGINE ?? 'addon') === 'addon';
    const mp = createMiniProgram({ platform, user: 'u', app: 'a', ...(small && { limits: { total: 64 * 1024 } }) });
    const api = mp[mp.object];
    const read = (key) => (platform === 'my' || platform === 'dd' ? api.getStorageSync({ key }).data : api.getStorageSync(key));
    mp.host.seed({ k: 'v' });
    assert.equal(read('k'), 'v', platform);
    assert.throws(() => mp.host.seed({ '': 1 }), /^Error: seed : /, `${platform}: an empty key is refused`);
    const level = small ? 1 : 0.01;
    mp.host.fill(level);
    const { currentSize, limitSize } = api.getStorageInfoSync();
    const target = limitSize * level;
    assert.ok(currentSize >= target - 1 && currentSize <= target + 1, `${platform}: ${currentSize} of ${limitSize} KB`);
    await mp.close();
  }
});

test('a Sync read that fails fails again: a failure is never answered from the read cache', async () => {
  const mp = createMiniProgram({ platform: 'swan', user: 'u', app: 'a' });
  for (let i = 0; i < 2; i++) assert.ok(mp.swan.getStorageSync('') instanceof Error, `call ${i}`);
  await mp.close();
});

test('an unknown platform is refused with the engine\'s list', () => {
  assert.throws(() => createMiniProgram({ platform: 'xx', user: 'u', app: 'a' }), {
    name: 'TypeError',
    message: /^platform must be one of 'wx', 'my', 'tt', 'qq', 'ks', 'swan', 'tt-app', 'lark', 'dd', not "xx"$/,
  });
});
