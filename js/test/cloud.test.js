'use strict';
// Game cloud data (behaviour §5) through JavaScript: createMiniGame, the calling context, the
// logged-in player, the rules and their Douyin / WeChat shapes.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniGame } = require('..');
const { failure } = require('../test-support');

let tt;
let wx;
before(() => {
  tt = createMiniGame({ platform: 'tt', game: 'tt-game', openid: 'ann' });
  wx = createMiniGame({ platform: 'wx', game: 'wx-game', openid: 'ann', context: 'open' });
  tt.host.setLeaderboardKeys(['rank']);
  wx.host.setLeaderboardKeys(['rank']);
});
after(() => Promise.all([tt.close(), wx.close()]));

const kv = (key, value) => ({ key, value });
const rank = (platform, score, time = 1) => JSON.stringify({ [`${platform}game`]: { score, update_time: time }, extra: 1 });

test('Douyin: the rules of setUserCloudStorage, each with its reason and errorCode', async () => {
  const api = tt.as({ openid: 'rules' }).tt;
  const cases = [
    [{}, 'KVDataList must be an Array'],
    [{ KVDataList: [] }, 'KVDataList.length must greater than 0'],
    [{ KVDataList: [kv('a', 1)] }, 'invalid KVData item'],
    [{ KVDataList: [kv('', 'v')] }, 'invalid KVData item'],
    [{ KVDataList: [kv('k'.repeat(129), 'v')] }, 'some keys in list meet length exceed'],
    [{ KVDataList: [kv('k', 'v'.repeat(1024))] }, 'some key-value in list meet length exceed'],
    [{ KVDataList: [kv('杭'.repeat(43), 'v')] }, 'some keys in list meet length exceed'],
    [{ KVDataList: [kv('rank', '{"ttgame":{"score":1.5,"update_time":1}}')] }, 'invalid leaderboard value'],
    [{ KVDataList: [kv('rank', rank('wx', 1))] }, 'invalid leaderboard value'],
  ];
  for (const [options, reason] of cases) {
    assert.deepEqual(await failure(api.setUserCloudStorage(options)), {
      errMsg: `setUserCloudStorage:fail ${reason}`,
      errorCode: 999999,
    }, JSON.stringify(options).slice(0, 80));
  }
  // At the limits exactly: key 128 bytes, key + value 1024 bytes.
  await api.setUserCloudStorage({ KVDataList: [kv('k'.repeat(128), 'v'.repeat(896)), kv('rank', rank('tt', 2 ** 31 - 1))] });
  assert.deepEqual(await api.setUserCloudStorage({ KVDataList: [kv('a', 'b')] }), { errMsg: 'setUserCloudStorage:ok' });
});

test('Douyin: 128 pairs per player and game, all or nothing', async () => {
  const api = tt.as({ openid: 'pairs' }).tt;
  const first = Array.from({ length: 100 }, (_, i) => kv(`k${i}`, 'v'));
  await api.setUserCloudStorage({ KVDataList: first });
  const tooMany = Array.from({ length: 29 }, (_, i) => kv(`m${i}`, 'v'));
  assert.deepEqual(await failure(api.setUserCloudStorage({ KVDataList: tooMany })), {
    errMsg: 'setUserCloudStorage:fail user has stored too much keys. delete some keys and try again',
    errorCode: 999999,
  });
  await api.setUserCloudStorage({ KVDataList: tooMany.slice(1) }); // 128 exactly
  await api.setUserCloudStorage({ KVDataList: [kv('k0', 'overwrite')] }); // overwriting adds none
  await api.removeUserCloudStorage({ keyList: ['k1'] });
  await api.setUserCloudStorage({ KVDataList: [kv('m0', 'v')] });
  const open = tt.as({ openid: 'pairs', context: 'open' }).tt;
  const { KVDataList } = await open.getUserCloudStorage({ keyList: ['k0', 'k1', 'm0'] });
  assert.deepEqual(KVDataList, [kv('k0', 'overwrite'), kv('m0', 'v')]);
});

test('Douyin: who may call: logged in, a game, reads from the open data context', async () => {
  const set = { KVDataList: [kv('a', 'b')] };
  const cases = [
    [tt.as({ openid: null }).tt.setUserCloudStorage(set), 'setUserCloudStorage:fail get session id failed', 999998],
    [tt.as({ host: 'app' }).tt.setUserCloudStorage(set), 'setUserCloudStorage:fail feature is not supported in app', 999987],
    [tt.tt.getUserCloudStorage({ keyList: ['a'] }), 'getUserCloudStorage:fail can only be called in open data context', 999999],
    [
      tt.tt.getCloudStorageByRelation({ type: 'friend', keyList: ['a'] }),
      'getCloudStorageByRelation:fail can only be called in open data context',
      999999,
    ],
  ];
  for (const [promise, errMsg, errorCode] of cases) {
    assert.deepEqual(await failure(promise), { errMsg, errorCode });
  }
  // Writes are allowed from both contexts.
  assert.deepEqual(await tt.as({ context: 'open' }).tt.setUserCloudStorage(set), { errMsg: 'setUserCloudStorage:ok' });
});

test('Douyin: relation reads: friends, groups, recommendations; ranked by sortKey; caller included', async () => {
  const host = tt.host;
  for (const [who, score, time] of [['r-ann', 10, 5], ['r-bob', 30, 9], ['r-cat', 30, 2], ['r-dan', 99, 1]]) {
    host.setProfile(who, { nickname: who.slice(2), avatarUrl: `https://example.invalid/${who}.png` });
    await tt.as({ openid: who }).tt.setUserCloudStorage({ KVDataList: [kv('rank', rank('tt', score, time))] });
  }
  host.addFriendship('r-ann', 'r-bob');
  host.addFriendship('r-ann', 'r-cat');
  host.joinGroup('g1', 'r-ann');
  host.joinGroup('g1', 'r-dan');
  host.recommend('r-ann', 'r-dan');
  const ann = tt.as({ openid: 'r-ann', context: 'open' }).tt;
  const names = (res) => res.data.map((u) => u.nickname);
  // Ties: the earlier update_time first.
  assert.deepEqual(names(await ann.getCloudStorageByRelation({ type: 'friend', keyList: ['rank'], extra: { sortKey: 'rank' } })), ['cat', 'bob', 'ann']);
  assert.deepEqual(names(await ann.getCloudStorageByRelation({ type: 'group', keyList: ['rank'], extra: { sortKey: 'rank', groupId: 'g1' } })), ['dan', 'ann']);
  assert.deepEqual(names(await ann.getCloudStorageByRelation({ type: 'recommend', keyList: ['rank'], extra: { sortKey: 'rank' } })), ['dan', 'ann']);
  const e = await failure(ann.getCloudStorageByRelation({ type: 'group', keyList: ['rank'], extra: { sortKey: 'rank' } }));
  assert.equal(e.errorCode, 999999);
  assert.match(e.errMsg, /^getCloudStorageByRelation:fail /);
  const [one] = (await ann.getCloudStorageByRelation({ type: 'friend', keyList: ['rank'], extra: { sortKey: 'rank' } })).data;
  assert.deepEqual(Object.keys(one), ['avatarUrl', 'nickname', 'openid', 'KVDataList']);
});

/** What a WeChat cloud read hands its callback (they have no Promise form). */
function read(fn, options = {}) {
  return new Promise((resolve) => fn({ ...options, success: resolve, fail: resolve }));
}

test('WeChat mini-game: the same rules in its own words, and its read APIs', async () => {
  const api = wx.wx;
  assert.equal(api.getUserCloudStorage({ keyList: ['level'] }), undefined, 'no Promise form');
  assert.deepEqual(await failure(api.setUserCloudStorage({ KVDataList: [kv('k', 'v'.repeat(1024))] })), {
    errMsg: 'setUserCloudStorage:fail some key-value in list meet length exceed',
  });
  assert.deepEqual(await failure(api.setUserCloudStorage({ KVDataList: [kv('rank', rank('tt', 1))] })), {
    errMsg: 'setUserCloudStorage:fail invalid leaderboard value',
  });
  await api.setUserCloudStorage({ KVDataList: [kv('rank', rank('wx', 16, 1513080573)), kv('level', '3')] });
  assert.deepEqual(await read(api.getUserCloudStorageKeys), { keys: ['rank', 'level'], errMsg: 'getUserCloudStorageKeys:ok' });
  assert.deepEqual((await read(api.getUserCloudStorage, { keyList: ['level'] })).KVDataList, [kv('level', '3')]);
  wx.host.addFriendship('ann', 'bea');
  await wx.as({ openid: 'bea' }).wx.setUserCloudStorage({ KVDataList: [kv('rank', rank('wx', 20))] });
  const friends = await read(api.getFriendCloudStorage, { keyList: ['rank'] });
  assert.deepEqual(friends.data.map((u) => u.openid).sort(), ['ann', 'bea']);
  const main = wx.as({ context: 'main' }).wx;
  assert.deepEqual(await read(main.getFriendCloudStorage, { keyList: ['rank'] }), {
    errMsg: 'getFriendCloudStorage:fail can only be called in open data context',
  });
  assert.deepEqual(await failure(wx.as({ openid: null }).wx.setUserCloudStorage({ KVDataList: [kv('a', 'b')] })), {
    errMsg: 'setUserCloudStorage:fail must login before calling',
  });
  // A mini-game keeps local storage too, per player.
  wx.wx.setStorageSync('settings', { sound: false });
  assert.deepEqual(wx.as({ openid: 'bea' }).wx.getStorageSync('settings'), '');
  assert.deepEqual(wx.wx.getStorageSync('settings'), { sound: false });
});

test('the host clock: set, advanced, refused when not a number, and back to the system', () => {
  const host = tt.host;
  assert.equal(host.setClock(Date.UTC(2026, 11, 6, 15, 59)), Date.UTC(2026, 11, 6, 15, 59));
  assert.equal(host.advanceClock(60_000), Date.UTC(2026, 11, 6, 16, 0));
  assert.equal(wx.host.setClock(new Date(5)), 5);
  assert.throws(() => host.advanceClock('1'), /argument 0 must be a number of milliseconds/);
  assert.ok(host.setClock(null) > Date.UTC(2026, 0, 1));
});
