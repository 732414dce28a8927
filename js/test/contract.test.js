'use strict';
// Behaviour §4 (and §1 values) through JavaScript: one bridge, one namespace per case, tables of
// one-line cases per area.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMiniProgram } = require('..');

/** The engine under test: the addon, or the bridge (MPSTORE_ENGINE=bridge). */
const ENGINE = process.env.MPSTORE_ENGINE ?? 'addon';

let base;
let n = 0;
before(() => {
  base = createMiniProgram({ platform: 'wx', user: 'contract', app: 'setup' });
});
after(() => base.close());

/** A fresh, empty mini-program of `platform` on the shared bridge. */
function fresh(platform) {
  n += 1;
  return base.as({ platform, user: `user-${n}`, app: `app-${n}` })[platform];
}

/** The outcome of an async call in callback form: which callback fired, with what. */
function outcome(api, options) {
  return new Promise((resolve) => {
    const fired = [];
    api({
      ...options,
      success: (res) => fired.push(['success', res]),
      fail: (res) => fired.push(['fail', res]),
      complete: (res) => {
        fired.push(['complete', res]);
        resolve(fired);
      },
    });
  });
}

/** What a Sync call threw (or `null`). */
function thrown(fn) {
  try {
    fn();
    return null;
  } catch (e) {
    return { message: e.message, errMsg: e.errMsg, errno: e.errno, errNo: e.errNo, isError: e instanceof Error };
  }
}

// ---- missing keys --------------------------------------------------------------------------

test('a missing key, per dialect', async () => {
  const wx = fresh('wx');
  const my = fresh('my');
  const tt = fresh('tt');
  const failWx = { errMsg: 'getStorage:fail data not found' };
  assert.deepEqual(await outcome(wx.getStorage, { key: 'k' }), [['fail', failWx], ['complete', failWx]]);
  assert.equal(wx.getStorageSync('k'), '');
  assert.deepEqual(await outcome(my.getStorage, { key: 'k' }), [['success', { data: null }], ['complete', { data: null }]]);
  assert.deepEqual(my.getStorageSync({ key: 'k' }), { data: null });
  const failTt = { errMsg: 'getStorage:fail data not found, key == k', errNo: 21101 };
  assert.deepEqual(await outcome(tt.getStorage, { key: 'k' }), [['fail', failTt], ['complete', failTt]]);
  assert.equal(tt.getStorageSync('k'), '');
  await assert.rejects(wx.getStorage({ key: 'k' }), failWx);
  assert.deepEqual(await my.getStorage({ key: 'k' }), { data: null });
  // Removing a missing key succeeds.
  assert.deepEqual(await wx.removeStorage({ key: 'k' }), { errMsg: 'removeStorage:ok' });
  assert.deepEqual(my.removeStorageSync({ key: 'k' }), { success: true });
  assert.equal(tt.removeStorageSync('k'), undefined);
});

// ---- keys ------------------------------------------------------------------------------------

test('empty and non-string keys, per dialect', async () => {
  const wx = fresh('wx');
  const my = fresh('my');
  const tt = fresh('tt');
  const cases = [
    [wx.setStorage, { key: '', data: 1 }, { errMsg: 'setStorage:fail invalid key', errno: 800003 }],
    [wx.setStorage, { key: 1, data: 1 }, { errMsg: 'setStorage:fail parameter error: parameter.key should be String instead of Number;' }],
    [wx.getStorage, { data: 1 }, { errMsg: 'getStorage:fail parameter error: parameter.key should be String instead of Undefined;' }],
    [my.setStorage, { key: '', data: 1 }, { error: 2, errorMessage: '必填参数为空' }],
    [my.setStorage, { key: 'k' }, { error: 2, errorMessage: '参数无效' }], // no data: code 2 (§4), the table's text
    [tt.setStorage, { key: '', data: 1 }, { errMsg: 'setStorage:fail key is illegal', errNo: 20000 }],
    [tt.setStorage, { key: null, data: 1 }, { errMsg: 'setStorage:fail invalid param', errNo: 20001 }],
  ];
  for (const [api, options, failure] of cases) {
    assert.deepEqual(await outcome(api, options), [['fail', failure], ['complete', failure]], JSON.stringify(options));
  }
  assert.deepEqual(thrown(() => wx.setStorageSync('', 'v')), {
    message: 'setStorageSync:fail invalid key', errMsg: 'setStorageSync:fail invalid key', errno: 800003, errNo: undefined, isError: true,
  });
  assert.equal(thrown(() => wx.getStorageSync(['k'])).errMsg, 'getStorageSync:fail parameter error: parameter should be String instead of Array;');
  assert.deepEqual(thrown(() => tt.getStorageSync('')), {
    message: 'getStorageSync:fail key is illegal', errMsg: 'getStorageSync:fail key is illegal', errno: undefined, errNo: 20000, isError: true,
  });
  assert.deepEqual(my.setStorageSync({ key: '', data: 1 }), { success: false, error: 2, errorMessage: '必填参数为空' });
  assert.deepEqual(my.getStorageSync({}), { success: false, error: 2, errorMessage: '必填参数为空' });
  // Lone surrogates are refused with the parameter error, never stored mangled (§1).
  assert.match(thrown(() => wx.setStorageSync('\ud800', 1)).errMsg, /^setStorageSync:fail parameter error/);
  assert.match(thrown(() => wx.setStorageSync('k', { s: 'a\udc00' })).errMsg, /^setStorageSync:fail parameter error/);
  assert.equal(my.setStorageSync({ key: 'k', data: '\ud83d' }).error, 2);
  assert.deepEqual(wx.getStorageInfoSync().keys, []);
});

test('keys are any Unicode, and look-alikes are different keys', () => {
  const wx = fresh('wx');
  const keys = ['a', 'a ', '\u00e9', 'e\u0301', 'k/\u0000:😀', '\u2028', '$js', '__proto__'];
  keys.forEach((k, i) => wx.setStorageSync(k, i));
  keys.forEach((k, i) => assert.equal(wx.getStorageSync(k), i, JSON.stringify(k)));
  assert.deepEqual(wx.getStorageInfoSync().keys, keys);
});

// ---- values ----------------------------------------------------------------------------------

const VALUES = [
  '1234567.890', 1100.8989, false, 0, null, '', undefined, true, 'x'.repeat(1000),
  NaN, -0, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE,
  new Date(1557813466123), new Date(-8.64e15),
  [], {}, [1, 'two', null, undefined, [new Date(0)]],
  { b: 1, a: { d: 1, c: [1, { y: 2, x: 1 }] }, 10: 'ten', 2: 'two' },
  { $js: 'not a tag', nested: { $js: { $js: 1 } } },
  { u: undefined, n: NaN, z: -0, d: new Date(5) },
  '杭州😀\u0000\u2028',
];

/** Deep equality with key order (deepStrictEqual already uses Object.is for NaN and -0). */
function same(actual, expected, label) {
  assert.deepStrictEqual(actual, expected, label);
  const order = (v) =>
    v instanceof Date || v === null || typeof v !== 'object'
      ? null
      : Array.isArray(v)
      ? v.map(order)
      : Object.entries(v).map(([k, x]) => [k, order(x)]);
  assert.deepStrictEqual(order(actual), order(expected), `${label}: key order`);
}

/** `JSON.parse(JSON.stringify(v))`: what most platforms store. */
const viaJson = (v) => JSON.parse(JSON.stringify(v));
const isContainer = (v) => v !== null && typeof v === 'object' && !(v instanceof Date);

/** What a read returns after each platform stores `v` (docs/api.md, "values in every dialect"). */
const DEVICE = {
  wx: (v) => (isContainer(v) ? viaJson(v) : v), // a top-level Date or Number is kept
  my: (v) => (v === undefined ? v : viaJson(v)),
  tt: (v) => v,
};

/** Every value through every form of `wx`, `my` and `tt` objects, read back as `expect` says. */
async function roundTrips({ wx, my, tt }, expect) {
  for (const [i, value] of VALUES.entries()) {
    const label = `value #${i}`;
    wx.setStorageSync('k', value);
    same(wx.getStorageSync('k'), expect.wx(value), `wx sync ${label}`);
    await wx.setStorage({ key: 'a', data: value });
    same((await wx.getStorage({ key: 'a' })).data, expect.wx(value), `wx async ${label}`);
    wx.batchSetStorageSync([{ key: 'b', value }]);
    same(wx.batchGetStorageSync(['b'])[0], expect.wx(value), `wx batch ${label}`);
    assert.equal(my.setStorageSync({ key: 'k', data: value }).success, true);
    same(my.getStorageSync({ key: 'k' }).data, expect.my(value), `my sync ${label}`);
    await my.setStorage({ key: 'a', data: value });
    same((await my.getStorage({ key: 'a' })).data, expect.my(value), `my async ${label}`);
    tt.setStorageSync('k', value);
    same(tt.getStorageSync('k'), expect.tt(value), `tt sync ${label}`);
    await tt.setStorage({ key: 'a', data: value });
    same((await tt.getStorage({ key: 'a' })).data, expect.tt(value), `tt async ${label}`);
  }
}

test('values are stored as each platform stores them, through every form', async () => {
  await roundTrips({ wx: fresh('wx'), my: fresh('my'), tt: fresh('tt') }, DEVICE);
});

test("values: 'exact' round-trips every value with its type, in every dialect", async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'exact', app: 'a', values: 'exact' });
  const objects = Object.fromEntries(['wx', 'my', 'tt'].map((p) => [p, mp.as({ platform: p })[p]]));
  const exact = (v) => v;
  await roundTrips(objects, { wx: exact, my: exact, tt: exact });
  objects.wx.setStorageSync('k', [new Date(NaN)]);
  const [d] = objects.wx.getStorageSync('k');
  assert.ok(d instanceof Date && Number.isNaN(d.getTime()), 'an invalid Date stays an invalid Date');
  await mp.close();
});

test('a nested invalid Date is stored as JSON stores it: null', () => {
  const wx = fresh('wx');
  wx.setStorageSync('k', [new Date(NaN), new Date(0)]);
  assert.deepStrictEqual(wx.getStorageSync('k'), [null, '1970-01-01T00:00:00.000Z']);
});

test('values must be device or exact', () => {
  assert.throws(() => createMiniProgram({ platform: 'wx', user: 'u', app: 'a', values: 'json' }), {
    name: 'TypeError',
    message: /values must be 'device' \(the default: as the platform stores them\) or 'exact', not "json"/,
  });
});

test('what JSON cannot store follows JSON.stringify', () => {
  const wx = fresh('wx');
  wx.setStorageSync('k', { f() {}, s: Symbol('s'), keep: 1, arr: [() => 1, Symbol('t')], boxed: new String('s') });
  assert.deepStrictEqual(wx.getStorageSync('k'), { keep: 1, arr: [null, null], boxed: 's' });
  wx.setStorageSync('k', { toJSON: () => 'custom' });
  assert.equal(wx.getStorageSync('k'), 'custom');
  assert.throws(() => wx.setStorageSync('k', 10n), TypeError);
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => wx.setStorageSync('k', cyclic), TypeError);
  assert.equal(wx.getStorageSync('k'), 'custom', 'a refused call changes nothing');
});

// ---- limits ----------------------------------------------------------------------------------

test('entry limits at the exact boundary, per dialect', async () => {
  const wx = fresh('wx');
  const my = fresh('my');
  const tt = fresh('tt');
  // WeChat: key + serialized data ≤ 1,048,576 UTF-16 units.
  assert.deepEqual(await wx.setStorage({ key: 'k', data: 'x'.repeat(1_048_575) }), { errMsg: 'setStorage:ok' });
  await assert.rejects(wx.setStorage({ key: 'k', data: 'x'.repeat(1_048_576) }), { errMsg: 'setStorage:fail entry size limit reached' });
  assert.equal(thrown(() => wx.setStorageSync('k2', 'x'.repeat(1_048_575))).errMsg, 'setStorageSync:fail entry size limit reached');
  // Alipay: serialized data ≤ 204,800 units (key not counted); an object is measured as JSON.
  assert.deepEqual(my.setStorageSync({ key: 'long-key', data: 'x'.repeat(204_800) }), { success: true });
  assert.deepEqual(my.setStorageSync({ key: 'k', data: 'x'.repeat(204_801) }), { success: false, error: 14, errorMessage: 'data长度超限' });
  assert.deepEqual(my.setStorageSync({ key: 'k', data: ['x'.repeat(204_797)] }), { success: false, error: 14, errorMessage: 'data长度超限' });
  // Douyin: serialized value ≤ 1,048,576 UTF-8 bytes.
  await tt.setStorage({ key: 'k', data: '杭'.repeat(349_525) + 'x' });
  await assert.rejects(tt.setStorage({ key: 'k', data: '杭'.repeat(349_526) }), {
    errMsg: 'setStorage:fail exceed storage item max length',
    errNo: 21101,
  });
  // A failed write changes nothing.
  assert.equal(tt.getStorageSync('k'), '杭'.repeat(349_525) + 'x');
});

test('the 10 MB quota, per dialect (WeChat refuses reaching it, the others passing it)', async () => {
  const chunk = 'x'.repeat(1_000_000);
  for (const [platform, reachRefused, fail] of [
    ['wx', true, { errMsg: 'setStorage:fail quota reached' }],
    ['tt', false, { errMsg: 'setStorage:fail exceed storage max size 10Mb', errNo: 21102 }],
  ]) {
    const api = fresh(platform);
    for (let i = 0; i < 10; i++) await api.setStorage({ key: `k${i}`, data: chunk });
    await assert.rejects(api.setStorage({ key: 'k10', data: chunk }), fail, platform);
    const info = api.getStorageInfoSync();
    assert.equal(info.keys.length, 10);
    assert.equal(info.limitSize, 10240);
    // What is left before the quota, for a one-character key.
    const left = 10 * 1024 * 1024 - 10 * (1_000_000 + 2) - 1;
    const largest = reachRefused ? left - 1 : left;
    await assert.rejects(api.setStorage({ key: 'z', data: 'x'.repeat(largest + 1) }), fail, platform);
    await api.setStorage({ key: 'z', data: 'x'.repeat(largest) });
  }
  const my = fresh('my');
  for (let i = 0; i < 51; i++) assert.equal(my.setStorageSync({ key: `k${i}`, data: 'x'.repeat(204_800) }).success, true);
  assert.deepEqual(my.setStorageSync({ key: 'k51', data: 'x'.repeat(204_800) }), {
    success: false, error: 12, errorMessage: '存储总大小达到上限',
  });
  const { currentSize, limitSize } = my.getStorageInfoSync();
  assert.ok(currentSize <= limitSize && currentSize > 10_000, `${currentSize}`);
});

test('WeChat encrypt: charged 1.4x, readable only with encrypt: true', async () => {
  const wx = fresh('wx');
  await wx.setStorage({ key: 's', data: 'secret', encrypt: true });
  assert.deepEqual(await wx.getStorage({ key: 's', encrypt: true }), { data: 'secret', errMsg: 'getStorage:ok' });
  assert.equal(thrown(() => wx.getStorageSync('s')).errMsg, 'getStorageSync:fail encrypt mismatch');
  await assert.rejects(wx.getStorage({ key: 's' }), { errMsg: 'getStorage:fail encrypt mismatch' });
  assert.equal(thrown(() => wx.batchGetStorageSync(['s'])).errMsg, 'batchGetStorageSync:fail encrypt mismatch');
  // 1.4 × (1 + 748,982) = 1,048,576.2 > 1,048,576: the 0.7 MB entry limit.
  await wx.setStorage({ key: 'k', data: 'x'.repeat(748_981), encrypt: true });
  await assert.rejects(wx.setStorage({ key: 'k', data: 'x'.repeat(748_982), encrypt: true }), {
    errMsg: 'setStorage:fail entry size limit reached',
  });
});

// ---- order, batches, callbacks, isolation ----------------------------------------------------

test('getStorageInfo keys keep insertion order', () => {
  const tt = fresh('tt');
  for (const k of ['b', 'a', 'c']) tt.setStorageSync(k, 1);
  tt.setStorageSync('b', 2); // overwriting keeps the position
  tt.removeStorageSync('a');
  tt.setStorageSync('a', 3); // remove then set moves it to the end
  assert.deepEqual(tt.getStorageInfoSync().keys, ['b', 'c', 'a']);
});

test('WeChat batches: one value per key, all items or none', async () => {
  const wx = fresh('wx');
  wx.batchSetStorageSync([{ key: 'a', value: 1 }, { key: 'b', value: new Date(7) }]);
  assert.deepStrictEqual(wx.batchGetStorageSync(['b', 'missing', 'a']), [new Date(7), '', 1]);
  assert.equal(thrown(() => wx.batchSetStorageSync([{ key: 'c', value: 3 }, { key: '', value: 4 }])).errMsg, 'batchSetStorageSync:fail invalid key');
  assert.equal(wx.getStorageSync('c'), '');
  assert.deepEqual(await wx.batchGetStorage({ keyList: ['a', 'c'] }), { dataList: [1, ''], errMsg: 'batchGetStorage:ok' });
  await assert.rejects(wx.batchSetStorage({ kvList: 'nope' }), (e) => /parameter\.kvList should be Array instead of String;$/.test(e.errMsg));
  assert.deepEqual(await outcome(wx.batchSetStorage, { kvList: [{ key: 'd', value: 4 }] }), [
    ['success', { errMsg: 'batchSetStorage:ok' }],
    ['complete', { errMsg: 'batchSetStorage:ok' }],
  ]);
});

test('callbacks: exactly one of success and fail, then complete; a Promise only without them', async () => {
  const my = fresh('my');
  assert.equal(my.setStorage({ key: 'k', data: 1, complete: () => {} }), undefined);
  const p = my.setStorage({ key: 'k', data: 1 });
  assert.ok(p instanceof Promise);
  assert.deepEqual(await p, { success: true });
  assert.deepEqual(await outcome(my.setStorage, { key: '', data: 1 }), [
    ['fail', { error: 2, errorMessage: '必填参数为空' }],
    ['complete', { error: 2, errorMessage: '必填参数为空' }],
  ]);
  await assert.rejects(my.setStorage({ key: '', data: 1 }), { error: 2, errorMessage: '必填参数为空' });
});

test('Sync calls are ordered after every earlier async call', async () => {
  const wx = fresh('wx');
  const done = [];
  for (let i = 0; i < 50; i++) wx.setStorage({ key: 'k', data: i, success: () => done.push(i) });
  assert.equal(wx.getStorageSync('k'), 49); // blocking, yet sees every earlier write
  assert.deepEqual(done, []); // the callbacks run later, as on the platform
  await wx.getStorageInfo();
  assert.equal(done.length, 50);
});

test('namespaces are isolated: user, app, web-view, plugin; clear clears its own', () => {
  const mp = base.as({ platform: 'my', user: 'iso-user', app: 'iso-app' });
  const views = [mp, mp.webview(), mp.plugin('p1'), mp.plugin('p2'), mp.as({ user: 'iso-other' }), mp.as({ app: 'iso-app-2' })];
  views.forEach((v, i) => v.my.setStorageSync({ key: 'k', data: i }));
  views.forEach((v, i) => assert.deepEqual(v.my.getStorageSync({ key: 'k' }), { data: i }));
  mp.webview().my.clearStorageSync();
  assert.deepEqual(mp.webview().my.getStorageSync({ key: 'k' }), { data: null });
  assert.deepEqual(mp.my.getStorageSync({ key: 'k' }), { data: 0 });
  mp.host.removeApp(); // the user deleted the mini-program: every scope of it goes
  views.slice(0, 4).forEach((v) => assert.deepEqual(v.my.getStorageSync({ key: 'k' }), { data: null }));
  assert.deepEqual(views[4].my.getStorageSync({ key: 'k' }), { data: 4 });
  assert.deepEqual(views[5].my.getStorageSync({ key: 'k' }), { data: 5 });
  mp.host.removeUser(); // logout: every app of the user goes, other users stay
  assert.deepEqual(views[5].my.getStorageSync({ key: 'k' }), { data: null });
  assert.deepEqual(views[4].my.getStorageSync({ key: 'k' }), { data: 4 });
});

test('a store closed and reopened keeps every acknowledged write', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-reopen-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const first = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir });
  first.tt.setStorageSync('sync', new Date(42));
  await first.tt.setStorage({ key: 'async', data: { deep: [undefined, -0] } });
  await first.close();
  if (ENGINE === 'bridge') {
    assert.throws(() => first.tt.getStorageSync('sync'), { name: 'MpstoreBridgeError', kind: 'closed' });
  } else {
    assert.deepEqual(thrown(() => first.tt.getStorageSync('sync')), {
      message: 'getStorageSync:fail store closed', errMsg: 'getStorageSync:fail store closed', errno: undefined, errNo: 20000, isError: true,
    });
    const failed = { errMsg: 'setStorage:fail store closed', errNo: 21103 };
    assert.deepEqual(await outcome(first.tt.setStorage, { key: 'k', data: 1 }), [['fail', failed], ['complete', failed]]);
    await assert.rejects(first.tt.getStorage({ key: 'sync' }), { errMsg: 'getStorage:fail store closed', errNo: 20000 });
  }
  const second = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir });
  assert.deepStrictEqual(second.tt.getStorageSync('sync'), new Date(42));
  assert.deepStrictEqual(second.tt.getStorageSync('async'), { deep: [undefined, -0] });
  assert.deepEqual(second.tt.getStorageInfoSync().keys, ['sync', 'async']);
  await second.close();
  // Buffered mode acknowledges before the disk, but a clean close still keeps everything.
  const buffered = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir, durability: 'buffered' });
  for (let i = 0; i < 100; i++) buffered.tt.setStorageSync(`b${i}`, i);
  await buffered.close();
  const third = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir });
  assert.equal(third.tt.getStorageSync('b99'), 99);
  assert.equal(third.tt.getStorageInfoSync().keys.length, 102);
  await third.close();
});

test('a bridge that cannot run fails at createMiniProgram, saying why', () => {
  assert.throws(() => createMiniProgram({ platform: 'wx', user: 'u', app: 'a', bin: '/nonexistent/mpstore', engine: 'bridge' }), {
    name: 'MpstoreBridgeError',
    kind: 'bridge_gone',
    code: 'MPSTORE_OPEN_FAILED',
    message: /cannot run the mpstore bridge \(\/nonexistent\/mpstore\)/,
  });
});

test('random doubles round-trip bit for bit (NaN aside), and random strings exactly', () => {
  const tt = fresh('tt'); // Douyin keeps every value; WeChat would store NaN inside as null
  const view = new DataView(new ArrayBuffer(8));
  let seed = 0x9e3779b9;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const numbers = [];
  for (let i = 0; i < 2000; i++) {
    view.setUint32(0, next());
    view.setUint32(4, next());
    numbers.push(view.getFloat64(0));
  }
  tt.setStorageSync('numbers', numbers);
  const back = tt.getStorageSync('numbers');
  numbers.forEach((v, i) => assert.ok(Object.is(back[i], v), `${v} came back as ${back[i]}`));
  const strings = Array.from({ length: 200 }, () =>
    String.fromCodePoint(...Array.from({ length: next() % 20 }, () => {
      const cp = next() % 0x110000;
      return cp >= 0xd800 && cp <= 0xdfff ? 0x20 : cp;
    })),
  );
  tt.setStorageSync('strings', strings);
  assert.deepStrictEqual(tt.getStorageSync('strings'), strings);
});
