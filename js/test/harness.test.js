'use strict';
// The host tooling a test uses around the program: seed, dump, reset, snapshot, restore
// (docs/dump.md), on the engine MPSTORE_ENGINE names.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniProgram } = require('..');

test('seed writes through the dialect, limits and all', async () => {
  const mp = createMiniProgram({ platform: 'my', user: 'u', app: 'a' });
  mp.host.seed({ city: { name: '杭州' }, when: new Date(7) });
  assert.deepEqual(mp.my.getStorageSync({ key: 'when' }), { data: new Date(7) });
  assert.throws(() => mp.host.seed({ big: 'x'.repeat(204_801) }), { error: 14 });
  await mp.close();
});

test('dump keeps keys in insertion order and values with their types', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a' });
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
