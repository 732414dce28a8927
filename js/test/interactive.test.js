'use strict';
// WeChat interactive storage through JavaScript (behaviour §5.2): modifyFriendInteractiveStorage
// with its limits on the host's clock, onInteractiveStorageModified, and getUserInteractiveStorage
// sealed so that a game server opens it with node:crypto, as the platform documents.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { createMiniGame } = require('..');

const GAME = 'ia-game';
const SESSION = crypto.randomBytes(16).toString('base64');
/** Monday 2026-12-07 10:00 in Beijing. */
const MONDAY_10AM = Date.UTC(2026, 11, 7, 2);

let main; // ann, main context
let open; // ann, open data context
before(() => {
  main = createMiniGame({ platform: 'wx', game: GAME, openid: 'ann' });
  open = main.as({ context: 'open' });
  main.host.setInteractiveKeys([{ key: '1', dailyLimit: 2 }, { key: '2', maxOpNum: 3 }]);
  main.host.addFriendship('ann', 'bob');
  main.host.addFriendship('ann', 'cat');
  main.host.registerSession('bob', SESSION);
  main.host.setClock(MONDAY_10AM);
});
after(() => main.close());

/** modifyFriendInteractiveStorage through callbacks: ['success' | 'fail', res], after complete. */
function modify(game, options) {
  return new Promise((resolve) => {
    let ended;
    const returned = game.wx.modifyFriendInteractiveStorage({
      ...options,
      success: (res) => (ended = ['success', res]),
      fail: (res) => (ended = ['fail', res]),
      complete: () => resolve(ended),
    });
    assert.equal(returned, undefined);
  });
}

const add = (toUser, key = '1', opNum = 1) => ({ key, opNum, operation: 'add', toUser });
const ok = ['success', { errMsg: 'modifyFriendInteractiveStorage:ok' }];
const fail = (reason, errCode) => [
  'fail',
  { errMsg: `modifyFriendInteractiveStorage:fail ${reason}`, ...(errCode === undefined ? {} : { errCode }) },
];

/** What the game's server reads of `openid`'s values: the sealed result opened with node:crypto. */
async function serverRead(openid, keyList) {
  const now = main.host.advanceClock(0);
  const res = await main.as({ openid }).wx.getUserInteractiveStorage({ keyList });
  assert.equal(res.errMsg, 'getUserInteractiveStorage:ok');
  assert.equal(typeof res.cloudID, 'string');
  const decipher = crypto.createDecipheriv('aes-128-cbc', Buffer.from(SESSION, 'base64'), Buffer.from(res.iv, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(res.encryptedData, 'base64')), decipher.final()]);
  const data = JSON.parse(plain.toString('utf8'));
  assert.equal(data.watermark.appid, GAME);
  assert.equal(data.watermark.timestamp, Math.floor(now / 1000));
  return data.kv_list;
}

test('modifyFriendInteractiveStorage: each rule, in WeChat shape, and the listener on success only', async () => {
  const heard = [];
  main.wx.onInteractiveStorageModified((key) => heard.push(key));
  const cases = [
    [main, add('bob'), fail('can only be called in open data context')],
    [open, add('bob', '3'), fail('invalid key', -17012)],
    [open, add('bob', '51'), fail('invalid key', -17012)],
    [open, add('bob', '2', 4), fail('invalid opNum')],
    [open, add('bob', '2', 0.5), fail('invalid opNum')],
    [open, { ...add('bob'), operation: 'set' }, fail('invalid operation')],
    [open, add('dan'), fail('invalid openid', -17007)],
    [open, { key: '1', opNum: 1, operation: 'add' }, fail('invalid openid', -17007)],
    [open.as({ openid: null }), add('bob'), fail('must login before calling')],
    [open, add('bob', '2', 3), ok],
  ];
  for (const [game, options, expected] of cases) {
    assert.deepEqual(await modify(game, options), expected, JSON.stringify(options));
  }
  assert.deepEqual(heard, ['2'], 'called once, with the key, for the success only');
  assert.equal(open.wx.modifyFriendInteractiveStorage(add('cat', '2')), undefined, 'no Promise form');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(heard, ['2', '2']);
  assert.throws(() => main.wx.onInteractiveStorageModified('not a function'), TypeError);
});

test('the daily limit counts per sender and key until Beijing midnight', async () => {
  const sender = open.as({ openid: 'cat' });
  main.host.addFriendship('cat', 'bob');
  main.host.setClock(MONDAY_10AM);
  assert.deepEqual(await modify(sender, add('bob')), ok);
  assert.deepEqual(await modify(sender, add('ann')), ok);
  assert.deepEqual(await modify(sender, add('bob')), fail('exceed daily limit of the key'));
  const midnight = Date.UTC(2026, 11, 7, 16); // 2026-12-08 00:00 in Beijing
  main.host.setClock(midnight - 1);
  assert.deepEqual(await modify(sender, add('bob')), fail('exceed daily limit of the key'));
  main.host.advanceClock(1);
  assert.deepEqual(await modify(sender, add('bob')), ok);
});

test('getUserInteractiveStorage: sealed values a server opens, and its failures', async () => {
  main.host.setClock(MONDAY_10AM);
  const bob = await serverRead('bob', ['2', '1', '7']);
  assert.deepEqual(bob, [{ key: '2', value: '3' }, { key: '1', value: '2' }]);
  const failure = async (promise) => promise.then(() => assert.fail('expected a failure'), (e) => e);
  const cases = [
    ['bob', { keyList: ['0'] }, { errMsg: 'getUserInteractiveStorage:fail invalid key', errCode: -17008 }],
    ['bob', { keyList: '1' }, { errMsg: 'getUserInteractiveStorage:fail invalid keyList' }],
    ['dan', { keyList: ['1'] }, { errMsg: 'getUserInteractiveStorage:fail no session key, login first' }],
  ];
  for (const [openid, options, expected] of cases) {
    assert.deepEqual(await failure(main.as({ openid }).wx.getUserInteractiveStorage(options)), expected, openid);
  }
});
