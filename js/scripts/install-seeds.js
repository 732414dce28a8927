'use strict';
// The install test's script: some of the seeds' examples (as in ../test/seeds.test.js), run against
// the package as a user installs it, `require('mpstore-node')`, in a fresh project with no Rust
// toolchain and no MPSTORE_* variables. `cargo xtask node-install-test` (and `cargo xtask test`)
// packs both npm packages, installs them into a temporary project, copies this file there and
// runs `node seeds.js`; a failed assertion exits non-zero.

const assert = require('node:assert/strict');
const { createMiniProgram, createMiniGame } = require('mpstore-node');

/** Runs `code` with `bindings` in scope. */
function run(code, bindings) {
  return new Function(...Object.keys(bindings), code)(...Object.values(bindings));
}

/** A console that records `console.log(...)` calls. */
function recorder() {
  const lines = [];
  return { lines, console: { log: (...args) => lines.push(args) } };
}

// ---- the engine: the platform package's addon ------------------------------------------------

function engineIsThePlatformPackage() {
  const platformPackage = require.resolve('mpstore-node-linux-x64-gnu');
  assert.ok(platformPackage.includes('node_modules'), platformPackage);
  assert.equal(require('mpstore-node/src/native').load(), require('mpstore-node-linux-x64-gnu'));
}

// ---- Alipay: 000_4b87c512cade2a99.txt -------------------------------------------------------

const ALIPAY_SET_STORAGE = `
my.setStorage({
  key: 'currentCity',
  data: {
    cityName: '杭州',
    adCode: '330100',
    spell: 'hangzhou',
  },
  success: res => {
    console.log("存储数据 success callback:", res);
    my.alert({ content: "写入成功" });
  },
  fail: err => {
    console.log("存储数据 fail callback:", err);
    my.alert({ content: "写入失败" });
  },
  complete: res => {
    console.log("存储数据 complete callback:", res);
  }
});
`;

async function alipay() {
  const mp = createMiniProgram({ platform: 'my', user: 'alipay-user', app: '2021000000000000' });
  try {
    const alerts = [];
    const my = { ...mp.my, alert: ({ content }) => alerts.push(content) };
    const { lines, console } = recorder();
    run(ALIPAY_SET_STORAGE, { my, console });
    // The calls are ordered: once a later call answers, the example's callbacks have run.
    const stored = await mp.my.getStorage({ key: 'currentCity' });
    assert.deepEqual(lines, [
      ['存储数据 success callback:', { success: true }],
      ['存储数据 complete callback:', { success: true }],
    ]);
    assert.deepEqual(alerts, ['写入成功']);
    assert.deepEqual(stored, { data: { cityName: '杭州', adCode: '330100', spell: 'hangzhou' } });
    assert.deepEqual(Object.keys(stored.data), ['cityName', 'adCode', 'spell']);
    const other = mp.as({ user: 'someone-else' });
    assert.deepEqual(other.my.getStorageSync({ key: 'currentCity' }), { data: null });
    assert.deepEqual(mp.webview().my.getStorageSync({ key: 'currentCity' }), { data: null });
  } finally {
    await mp.close();
  }
}

// ---- WeChat: 001_a995dde20ee029be.txt -------------------------------------------------------

const WX_SET_STORAGE = `
wx.setStorage({
  key:"key",
  data:"value"
})
`;
const WX_SET_STORAGE_SYNC = `
try {
   wx.setStorageSync("key","value")
} catch (e) {
}
`;
const WX_GET_STORAGE = `
wx.getStorage({
  key:'key',
  success: function(res){
      console.log(res.data)
  } 
})
`;
const WX_GET_STORAGE_SYNC = `
try {
  var value = wx.getStorageSync('key')
  if (value) {
      // Do something with return value
  }
} catch (e) {
  // Do something when catch error
}
`;
const WX_GET_STORAGE_INFO = `
wx.getStorageInfo({
  success: function(res) {
    console.log(res.keys)
    console.log(res.currentSize)
    console.log(res.limitSize)
  }
})
`;
const WX_GET_STORAGE_INFO_SYNC = `
try {
  var res = wx.getStorageInfoSync()
  console.log(res.keys)
  console.log(res.currentSize)
  console.log(res.limitSize)
} catch (e) {
  // Do something when catch error
}
`;
const WX_REMOVE_STORAGE = `
wx.removeStorage({
  key: 'key',
  success: function(res) {
    console.log(res.data)
  } 
})
`;
const WX_REMOVE_STORAGE_SYNC = `
try {
  wx.removeStorageSync('key')
} catch (e) {
  // Do something when catch error
}
`;
const WX_CLEAR_STORAGE = `
wx.clearStorage()
`;
const WX_CLEAR_STORAGE_SYNC = `
try {
    wx.clearStorageSync()
} catch(e) {
  // Do something when catch error
}
`;

async function wechat() {
  const mp = createMiniProgram({ platform: 'wx', user: 'wx-user', app: 'wx-app' });
  try {
    const { wx } = mp;
    const { lines, console } = recorder();
    const barrier = () => wx.getStorageInfo();

    run(WX_SET_STORAGE, { wx, console });
    assert.equal(wx.getStorageSync('key'), 'value');
    wx.clearStorageSync();
    run(WX_SET_STORAGE_SYNC, { wx, console });
    assert.equal(wx.getStorageSync('key'), 'value');

    run(WX_GET_STORAGE, { wx, console });
    run(WX_GET_STORAGE_SYNC, { wx, console });
    await barrier();
    assert.deepEqual(lines.splice(0), [['value']]);

    run(WX_GET_STORAGE_INFO, { wx, console });
    await barrier();
    run(WX_GET_STORAGE_INFO_SYNC, { wx, console });
    const info = [[['key']], [1], [10240]];
    assert.deepEqual(lines.splice(0), [...info, ...info]);

    run(WX_REMOVE_STORAGE, { wx, console });
    await barrier();
    assert.deepEqual(lines.splice(0), [[undefined]]);
    assert.equal(wx.getStorageSync('key'), '');

    wx.setStorageSync('key', 'value');
    run(WX_REMOVE_STORAGE_SYNC, { wx, console });
    assert.equal(wx.getStorageSync('key'), '');

    wx.setStorageSync('a', 1);
    run(WX_CLEAR_STORAGE, { wx, console });
    await barrier();
    assert.deepEqual(wx.getStorageInfoSync().keys, []);
    wx.setStorageSync('a', 1);
    run(WX_CLEAR_STORAGE_SYNC, { wx, console });
    assert.deepEqual(wx.getStorageInfoSync(), { keys: [], currentSize: 0, limitSize: 10240 });
  } finally {
    await mp.close();
  }
}

// ---- Douyin: 002_801095014b4d46b4.txt -------------------------------------------------------

const TT_SET_USER_CLOUD_STORAGE = `
tt.setUserCloudStorage({ KVDataList: [ { key: "xxx", value: JSON.stringify({ ttgame: { score: 100, update_time: 1557813466, }, progress: 10, }), }, ], success: (res) => { console.log("调用成功"); console.log(res.errMsg); }, fail: (res) => { console.log("调用失败"); }, complete: (res) => { console.log("调用完成"); }, });
`;

async function douyin() {
  const game = createMiniGame({ platform: 'tt', game: 'tt-game', openid: 'openid-ann' });
  try {
    game.host.setLeaderboardKeys(['xxx']);
    game.host.addFriendship('openid-ann', 'openid-bob');
    game.host.setProfile('openid-ann', { nickname: 'Ann', avatarUrl: 'https://example.invalid/ann.png' });
    game.host.setProfile('openid-bob', { nickname: 'Bob', avatarUrl: 'https://example.invalid/bob.png' });
    const { lines, console } = recorder();
    run(TT_SET_USER_CLOUD_STORAGE, { tt: game.tt, console });
    const bob = game.as({ openid: 'openid-bob' });
    await bob.tt.setUserCloudStorage({
      KVDataList: [{ key: 'xxx', value: JSON.stringify({ ttgame: { score: 250, update_time: 1557813500 } }) }],
    });
    assert.deepEqual(lines, [['调用成功'], ['setUserCloudStorage:ok'], ['调用完成']]);

    const open = game.as({ context: 'open' });
    const res = await open.tt.getCloudStorageByRelation({ type: 'friend', keyList: ['xxx'], extra: { sortKey: 'xxx' } });
    assert.equal(res.errMsg, 'getCloudStorageByRelation:ok');
    assert.deepEqual(
      res.data.map((u) => [u.openid, u.nickname, JSON.parse(u.KVDataList[0].value).ttgame.score]),
      [['openid-bob', 'Bob', 250], ['openid-ann', 'Ann', 100]],
    );
    const mine = await open.tt.getUserCloudStorage({ keyList: ['xxx'] });
    assert.equal(JSON.parse(mine.KVDataList[0].value).progress, 10);
  } finally {
    await game.close();
  }
}

async function main() {
  const steps = [
    ['the engine is the platform package', engineIsThePlatformPackage],
    ['Alipay: my.setStorage currentCity example', alipay],
    ['WeChat: the set/get/info/remove/clear examples', wechat],
    ['Douyin: tt.setUserCloudStorage ttgame example, then a relation read', douyin],
  ];
  for (const [name, step] of steps) {
    await step();
    process.stdout.write(`ok - ${name}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`not ok - ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
