'use strict';
// Douyin's user groups and ImRank leaderboards (behaviour §5.1) through createMiniGame: the
// options' limits and errors, each API's context, ranking, periods on the host's clock, zones,
// pages, and what getImRankList leaves for the host.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createMiniGame } = require('..');
const { failure } = require('../test-support');

/** Sunday 2026-12-06 23:00 in Beijing. */
const SUNDAY_23H = Date.UTC(2026, 11, 6, 15);
const HOUR = 3_600_000;

let game;
before(() => {
  game = createMiniGame({ platform: 'tt', game: 'rank-game', openid: 'ann' });
  game.host.setClock(SUNDAY_23H);
});
after(() => game.close());

const main = (openid) => game.as({ openid, context: 'main' }).tt;
const open = (openid) => game.as({ openid, context: 'open' }).tt;

const params = (detail) => [`invalid params${detail ? `: ${detail}` : ''}`, 21102];
const VALUE = 'value must be an integer string in [0, 2147483647) for dataType 0, a string of 1 to 128 bytes for dataType 1';

test('setImRankData: each option rule at its limit, with its reason and errorCode', async () => {
  const api = main('limits');
  const cases = [
    [{}, ...params('dataType must be 0 or 1')],
    [{ dataType: '0', value: '1' }, ...params('dataType must be 0 or 1')],
    [{ dataType: 0, value: 103 }, ...params(VALUE)],
    [{ dataType: 0, value: '-1' }, ...params(VALUE)],
    [{ dataType: 0, value: '2147483647' }, ...params(VALUE)],
    [{ dataType: 1, value: '' }, ...params(VALUE)],
    [{ dataType: 1, value: '段'.repeat(43) }, ...params(VALUE)],
    [{ dataType: 1, value: 'gold', priority: 1.5 }, ...params('priority must be an integer in [0, 2147483647]')],
    [{ dataType: 0, value: '1', extra: 'e'.repeat(129) }, ...params('extra must be a string of at most 128 bytes')],
    [{ dataType: 0, value: '1', zoneId: '' }, ...params('zoneId must be a string of 1 to 64 bytes')],
  ];
  for (const [options, reason, errorCode] of cases) {
    assert.deepEqual(await failure(api.setImRankData(options)), {
      errMsg: `setImRankData:fail ${reason}`,
      errorCode,
    }, JSON.stringify(options).slice(0, 60));
  }
  // At the limits exactly.
  for (const options of [
    { dataType: 0, value: '2147483646', extra: 'e'.repeat(128), zoneId: 'z'.repeat(64) },
    { dataType: 0, value: '0' },
    { dataType: 1, value: 'x'.repeat(128), priority: 2147483647 },
  ]) {
    assert.deepEqual(await api.setImRankData(options), { errMsg: 'setImRankData:ok' });
  }
});

test('who may call what: main context, open data context, a logged-in player in a game', async () => {
  const day = { relationType: 'all', dataType: 0, rankType: 'day' };
  const cases = [
    [open('p').setImRankData({ dataType: 0, value: '1' }), 'setImRankData:fail can only be called in main context', 999999],
    [main('p').setImRankDataInOpenContext({ dataType: 0, value: '1' }), 'setImRankDataInOpenContext:fail can only be called in open data context', 999999],
    [open('p').getImRankList(day), 'getImRankList:fail can only be called in main context', 999999],
    [main('p').getImRankData(day), 'getImRankData:fail can only be called in open data context', 999999],
    [game.as({ openid: null }).tt.setUserGroup({ groupId: 'g' }), 'setUserGroup:fail get session id failed', 999998],
    [game.as({ host: 'app' }).tt.setImRankData({ dataType: 0, value: '1' }), 'setImRankData:fail feature is not supported in app', 999987],
  ];
  for (const [promise, errMsg, errorCode] of cases) {
    assert.deepEqual(await failure(promise), { errMsg, errorCode });
  }
});

test('the reads: options in order, pages, ranking, and the caller found anywhere', async () => {
  const z = { zoneId: 'reads' };
  for (const [who, value] of [['r1', '50'], ['r2', '120'], ['r3', '50'], ['r4', '9']]) {
    await main(who).setImRankData({ dataType: 0, value, ...z });
    game.host.advanceClock(1000);
  }
  const reader = open('r3');
  const page = (pageNum, pageSize) => reader.getImRankData({ relationType: 'all', dataType: 0, rankType: 'all', pageNum, pageSize, ...z });
  const first = await page(1, 2);
  assert.deepEqual(first.data.items.map((i) => [i.openid, i.value]), [['r2', '120'], ['r1', '50']]);
  assert.deepEqual([first.data.self_user_info.openid, first.data.self_user_info.rank], ['r3', 3]);
  assert.deepEqual(Object.keys(first.data.items[0]).sort(), ['data_type', 'extra', 'nick_name', 'openid', 'priority', 'sec_uid', 'user_img', 'utime', 'value']);
  assert.equal(first.errMsg, 'getImRankData:ok');
  assert.deepEqual((await page(2, 39)).data.items, []);
  const cases = [
    [{ dataType: 0, rankType: 'all' }, 'relationType must be friend or all'],
    [{ relationType: 'all', dataType: 0, rankType: 'year' }, 'rankType must be day, week, month or all'],
    [{ relationType: 'all', dataType: 0, rankType: 'all', pageSize: 40 }, 'pageNum must be an integer from 1 and pageSize one from 1 to 39'],
    [{ relationType: 'all', dataType: 0, rankType: 'all', pageNum: 0 }, 'pageNum must be an integer from 1 and pageSize one from 1 to 39'],
  ];
  for (const [options, detail] of cases) {
    assert.deepEqual(await failure(reader.getImRankData(options)), { errMsg: `getImRankData:fail invalid params: ${detail}`, errorCode: 21102 });
  }
  // Friends: the caller and their friends only; enum names by priority.
  game.host.addFriendship('f-ann', 'f-bob');
  game.host.setProfile('f-bob', { nickname: 'Bob', avatarUrl: 'https://example.invalid/bob.png' });
  for (const [who, value, priority] of [['f-ann', 'silver', 2], ['f-bob', 'gold', 3], ['f-cat', 'king', 9]]) {
    await main(who).setImRankData({ dataType: 1, value, priority, ...z });
  }
  const friends = await open('f-ann').getImRankData({ relationType: 'friend', dataType: 1, rankType: 'all', ...z });
  assert.deepEqual(friends.data.items.map((i) => [i.nick_name, i.value, i.priority]), [['Bob', 'gold', 3], ['', 'silver', 2]]);
});

test("periods turn over at Beijing's midnight on the host's clock; zones are apart", async () => {
  const z = { zoneId: 'periods' };
  game.host.setClock(SUNDAY_23H);
  await main('sun').setImRankData({ dataType: 0, value: '10', ...z });
  await open('mon').setImRankDataInOpenContext({ dataType: 0, value: '99', zoneId: 'test' });
  const list = async (rankType) => {
    const res = await open('x').getImRankData({ relationType: 'all', dataType: 0, rankType, ...z });
    return res.data.items.map((i) => i.openid);
  };
  assert.deepEqual(await list('day'), ['sun']);
  game.host.advanceClock(HOUR); // Monday 00:00
  assert.deepEqual(await list('day'), []);
  assert.deepEqual(await list('week'), []);
  assert.deepEqual(await list('month'), ['sun']);
  assert.deepEqual(await list('all'), ['sun']);
  // At most 10 zones besides default and test.
  const api = main('zones');
  // Earlier tests used three ('z' * 64, 'reads', 'periods'): seven more make ten.
  for (let i = 0; i < 7; i += 1) await api.setImRankData({ dataType: 0, value: '1', zoneId: `zone-${i}` });
  await api.setImRankData({ dataType: 0, value: '1', zoneId: 'test' });
  const e = await failure(api.setImRankData({ dataType: 0, value: '1', zoneId: 'one-too-many' }));
  assert.deepEqual(e, { errMsg: 'setImRankData:fail invalid params: at most 10 zones besides default and test', errorCode: 21102 });
});

test('getImRankList answers ok, and the host sees what it would draw', async () => {
  assert.equal(game.host.imRankShown('lister'), null);
  await main('lister').setImRankData({ dataType: 1, value: 'gold', priority: 3 });
  const res = await main('lister').getImRankList({ dataType: 1, rankType: 'all', suffix: 'pts', rankTitle: 'Tiers' });
  assert.deepEqual(res, { errMsg: 'getImRankList:ok' });
  const shown = game.host.imRankShown('lister');
  assert.deepEqual(
    [shown.relationType, shown.dataType, shown.rankType, shown.zoneId, shown.suffix, shown.rankTitle],
    ['friend', 1, 'all', 'default', 'pts', 'Tiers'],
  );
  assert.deepEqual(shown.items.map((i) => [i.openid, i.value]), [['lister', 'gold']]);
  assert.deepEqual(await failure(main('lister').getImRankList({ dataType: 0, rankType: 'all', rankTitle: 5 })), {
    errMsg: 'getImRankList:fail invalid params',
    errorCode: 21102,
  });
});

test('setUserGroup: the group a group relation read shows, one group at a time', async () => {
  game.host.setLeaderboardKeys(['rank']);
  const value = JSON.stringify({ ttgame: { score: 5, update_time: 1 } });
  for (const who of ['g-ann', 'g-bob']) {
    assert.deepEqual(await main(who).setUserGroup({ groupId: 'team-1' }), { errMsg: 'setUserGroup:ok' });
    await main(who).setUserCloudStorage({ KVDataList: [{ key: 'rank', value }] });
  }
  await main('g-bob').setUserGroup({ groupId: 'team-2' });
  const read = await open('g-cat').getCloudStorageByRelation({ type: 'group', keyList: ['rank'], extra: { sortKey: 'rank', groupId: 'team-1' } });
  assert.deepEqual(read.data.map((u) => u.openid), ['g-ann']);
  for (const groupId of ['', 7, undefined]) {
    assert.deepEqual(await failure(main('g-ann').setUserGroup({ groupId })), { errMsg: 'setUserGroup:fail invalid groupId', errorCode: 999999 });
  }
});
