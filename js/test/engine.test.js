'use strict';
// The engine under the objects: one store per data directory per process, refusals at
// createMiniProgram with a stable code, objects a runtime may extend, the closed state, stores
// in memory, and hostile JavaScript input. Runs on the engine MPSTORE_ENGINE names.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMiniProgram, createMiniGame } = require('..');

const ENGINE = process.env.MPSTORE_ENGINE ?? 'addon';
/** A test of what only the addon engine does (in-memory stores, its checks, direct conversion). */
const addonTest = ENGINE === 'addon' ? test : () => {};

function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mpstore-${name}-`));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('every createMiniProgram on one data directory shares the store; the last close closes it', async () => {
  const dataDir = tempDir('shared');
  const a = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir });
  const b = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir: path.join(dataDir, '.') });
  const game = createMiniGame({ platform: 'wx', game: 'g', openid: 'o', dataDir });
  a.wx.setStorageSync('k', 1);
  assert.equal(b.tt.getStorageSync('k'), 1, 'the same namespace, seen through the other program');
  await a.close();
  assert.equal(b.tt.getStorageSync('k'), 1, 'still open for the others');
  game.wx.setStorageSync('local', true);
  await b.close();
  await game.close();
  const again = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir });
  assert.equal(again.wx.getStorageSync('k'), 1);
  await again.close();
});

/** Runs a Node child holding the store at `dataDir` until it is killed. */
function holder(dataDir) {
  const script = `
    const { createMiniProgram } = require(${JSON.stringify(path.join(__dirname, '..'))});
    createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ${JSON.stringify(dataDir)} });
    process.stdout.write('open\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
  });
}

test('a store held by another process is refused at createMiniProgram, with a code', async () => {
  const dataDir = tempDir('locked');
  const child = await holder(dataDir);
  try {
    assert.throws(() => createMiniProgram({ platform: 'my', user: 'u', app: 'a', dataDir }), {
      code: 'MPSTORE_LOCKED',
      message: /open in another process/,
    });
  } finally {
    child.kill('SIGKILL');
  }
});

addonTest('a data directory that cannot hold a store is refused at createMiniProgram, with a code', () => {
  const dir = tempDir('bad');
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, 'x');
  const cases = [
    [file, 'MPSTORE_NOT_A_DIRECTORY', /is not a directory/],
    [path.join(dir, 'missing', 'store'), 'MPSTORE_NO_DIRECTORY', /does not exist/],
  ];
  for (const [dataDir, code, message] of cases) {
    assert.throws(() => createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir }), { code, message }, dataDir);
  }
});

test('the objects are plain and extensible, as runtimes and SDKs expect', async () => {
  const mp = createMiniProgram({ platform: 'my', user: 'u', app: 'a' });
  const { my } = mp;
  assert.ok(Object.isExtensible(my));
  my.taroEventCenter = {};
  const original = my.setStorageSync;
  const seen = [];
  my.setStorageSync = (o) => (seen.push(o.key), original(o));
  my.setStorageSync({ key: 'k', data: 1 });
  assert.deepEqual(seen, ['k']);
  const { getStorageSync } = my; // called with `this` unbound
  assert.deepEqual(getStorageSync({ key: 'k' }), { data: 1 });
  await mp.close();
});

addonTest('after close, every form fails in the dialect\'s shape', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  const my = mp.as({ platform: 'my' }).my;
  await mp.close();
  const failWx = { errMsg: 'getStorage:fail store closed' };
  const fired = [];
  mp.wx.getStorage({ key: 'k', fail: (r) => fired.push(['fail', r]), complete: (r) => fired.push(['complete', r]) });
  await mp.wx.getStorage({ key: 'k' }).then(assert.fail, (r) => assert.deepEqual(r, failWx));
  assert.deepEqual(fired, [['fail', failWx], ['complete', failWx]]);
  assert.throws(() => mp.wx.setStorageSync('k', 1), { errMsg: 'setStorageSync:fail store closed' });
  assert.deepEqual(my.setStorageSync({ key: 'k', data: 1 }), { success: false, error: 3, errorMessage: '存储已关闭' });
  await mp.close(); // closing again is harmless
});

addonTest('a store in memory: nothing on disk, isolated from every other', async () => {
  const a = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir: ':memory:' });
  const b = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', memory: true });
  a.tt.setStorageSync('k', 'a');
  assert.equal(b.tt.getStorageSync('k'), '');
  assert.equal(a.dataDir, ':memory:');
  await a.close();
  await b.close();
});

// ---- hostile input (addon): each a documented conversion or the dialect's error --------------

let deep = [];
for (let i = 0; i < 1e6; i++) deep = [deep];
const cyclic = {};
cyclic.self = cyclic;

/** [label, data, expected stored value, or an error: {throws} or {errMsg}] */
const HOSTILE = [
  ['a Proxy reads as its target', new Proxy({ a: 1 }, {}), { a: 1 }],
  ['a Proxy whose trap throws', new Proxy({}, { ownKeys() { throw new RangeError('trap'); } }), { throws: RangeError }],
  ['a getter that throws', { get x() { throw new SyntaxError('getter'); } }, { throws: SyntaxError }],
  ['a cycle', cyclic, { throws: TypeError }],
  ['a BigInt', 10n, { throws: TypeError }],
  ['a BigInt inside', { n: [1n] }, { throws: TypeError }],
  ['Symbol keys and values are left out', { [Symbol('k')]: 1, s: Symbol('v'), keep: 2 }, { keep: 2 }],
  ['a Symbol at the top is undefined', Symbol('v'), undefined],
  ['arrays nested 10⁶ deep', deep, { errMsg: /^setStorageSync:fail parameter error: .*deeper than 100/ }],
  ['a lone surrogate', 'a\ud800', { errMsg: /^setStorageSync:fail parameter error: .*lone UTF-16 surrogate/ }],
  ['a lone surrogate in a key', { ['\udc00']: 1 }, { errMsg: /^setStorageSync:fail parameter error/ }],
  ['a Buffer, through its toJSON', Buffer.from('hi'), { type: 'Buffer', data: [104, 105] }],
  ['a TypedArray, as its indices', new Uint16Array([1, 2]), { 0: 1, 1: 2 }],
  ['a function is undefined', () => 1, undefined],
];

for (const [label, data, expected] of HOSTILE) {
  addonTest(`hostile: ${label}`, async () => {
    const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
    const { wx } = mp;
    wx.setStorageSync('before', 'kept');
    if (expected && expected.throws) {
      assert.throws(() => wx.setStorageSync('k', data), expected.throws);
      assert.throws(() => wx.setStorage({ key: 'k', data }), expected.throws);
    } else if (expected && expected.errMsg) {
      assert.throws(() => wx.setStorageSync('k', data), { errMsg: expected.errMsg });
    } else {
      wx.setStorageSync('k', data);
      assert.deepStrictEqual(wx.getStorageSync('k'), expected);
    }
    assert.equal(wx.getStorageSync('before'), 'kept', 'the store is intact');
    await mp.close();
  });
}

addonTest('hostile: a key of 10 MB is the entry limit, in each dialect', async () => {
  const key = 'k'.repeat(10_000_000);
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  assert.throws(() => mp.wx.setStorageSync(key, 1), { errMsg: 'setStorageSync:fail entry size limit reached' });
  assert.equal(mp.as({ platform: 'tt' }).tt.getStorageSync(key), '');
  assert.deepEqual(mp.as({ platform: 'my' }).my.getStorageSync({ key }), { data: null });
  await mp.close();
});

addonTest('the read cache of getStorageSync answers as the engine would, after any write', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
  const other = mp.as({ platform: 'tt' }); // the same namespace, another object
  const { wx } = mp;
  /** Each case: a write by some path, then what wx.getStorageSync('k') must answer. */
  const cases = [
    [() => wx.setStorageSync('k', 'v1'), 'v1'],
    [() => other.tt.setStorageSync('k', 'v2'), 'v2'],
    [() => wx.setStorage({ key: 'k', data: 'v3' }), 'v3'],
    [() => mp.as({ platform: 'my' }).my.setStorageSync({ key: 'k', data: 'v4' }), 'v4'],
    [() => wx.batchSetStorageSync([{ key: 'k', value: 'v5' }]), 'v5'],
    [() => other.tt.removeStorageSync('k'), ''],
    [() => mp.host.seed({ k: { deep: [1] } }), { deep: [1] }],
    [() => mp.host.restore({ format: 'mpstore-dump', version: 1, namespaces: [] }), ''],
    [() => wx.setStorageSync('k', new Date(5)), new Date(5)],
    [() => wx.clearStorageSync(), ''],
  ];
  for (const [write, expected] of cases) {
    wx.getStorageSync('k'); // cached now
    write();
    assert.deepStrictEqual(wx.getStorageSync('k'), expected, String(write));
    assert.deepStrictEqual(wx.getStorageSync('k'), expected, `${write}, read again`);
  }
  // A caller's changes to what it read never reach the store, nor the next read.
  wx.setStorageSync('o', { list: [1] });
  wx.getStorageSync('o').list.push(2);
  assert.deepStrictEqual(wx.getStorageSync('o'), { list: [1] });
  await mp.close();
  assert.throws(() => wx.getStorageSync('o'), { errMsg: 'getStorageSync:fail store closed' });
});

test('after close, async forms fail through fail / complete or a rejection, with an errMsg', async () => {
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a' });
  await mp.close();
  const fired = [];
  const returned = mp.wx.getStorage({ key: 'k', fail: (r) => fired.push(['fail', r]), complete: (r) => fired.push(['complete', r]) });
  assert.equal(returned, undefined);
  await mp.wx.getStorage({ key: 'k' }).then(assert.fail, (e) => assert.match(e.errMsg, /^getStorage:fail .*closed/));
  assert.deepEqual(fired.map(([name]) => name), ['fail', 'complete']);
  assert.match(fired[0][1].errMsg, /^getStorage:fail .*closed/);
});
