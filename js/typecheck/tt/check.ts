// Our `tt` object against Douyin's official typings (@douyin-microapp/typings). Those typings
// cover mini-apps' local storage only (no cloud data); the cloud APIs are checked against our
// own declarations, following the seed's documentation.
import * as TT from '@douyin-microapp/typings/api/storage';
import { createMiniGame, createMiniProgram } from '../../src';

const mp = createMiniProgram({ platform: 'tt', user: 'u', app: 'a' });

const storage: Pick<typeof TT,
  | 'setStorage' | 'getStorage' | 'removeStorage' | 'clearStorage' | 'getStorageInfo'
  | 'setStorageSync' | 'getStorageSync' | 'removeStorageSync' | 'clearStorageSync' | 'getStorageInfoSync'> = mp.tt;

// Douyin mini-apps' own dialect (the typings are the mini-apps'): the same object, `tt`.
const app = createMiniProgram({ platform: 'tt-app', user: 'u', app: 'a' });
const appStorage: Pick<typeof TT,
  | 'setStorage' | 'getStorage' | 'removeStorage' | 'clearStorage' | 'getStorageInfo'
  | 'setStorageSync' | 'getStorageSync' | 'removeStorageSync' | 'clearStorageSync' | 'getStorageInfoSync'> = app.tt;

const game = createMiniGame({ platform: 'tt', game: 'g', openid: 'o' });
function seed(): void {
  // The seed's example (tt.setUserCloudStorage).
  game.tt.setUserCloudStorage({
    KVDataList: [{ key: 'xxx', value: JSON.stringify({ ttgame: { score: 100, update_time: 1557813466 }, progress: 10 }) }],
    success: (res) => res.errMsg,
    fail: (res) => res.errMsg,
    complete: (res) => res,
  });
  game.tt.getCloudStorageByRelation({ type: 'friend', keyList: ['xxx'], extra: { sortKey: 'xxx' }, success: (res) => res.data[0].nickname });
  // @ts-expect-error relation type is friend, group or recommend
  game.tt.getCloudStorageByRelation({ type: 'enemy', keyList: [] });
  // ImRank leaderboards and user groups.
  game.tt.setUserGroup({ groupId: 'g1' });
  game.tt.setImRankData({ dataType: 0, value: '103', zoneId: 'test', success: (res) => res.errMsg });
  game.tt.setImRankDataInOpenContext({ dataType: 1, value: 'gold', priority: 3 });
  game.tt.getImRankList({ dataType: 0, rankType: 'week', suffix: 'pts', rankTitle: 'Weekly' });
  game.tt.getImRankData({ relationType: 'all', dataType: 0, rankType: 'day', pageNum: 1, pageSize: 10 })
    .then((res) => res.data.self_user_info?.rank ?? res.data.items[0].nick_name);
  const shown = game.host.imRankShown('o');
  void (shown === null ? 0 : shown.items.length);
  // @ts-expect-error rankType is day, week, month or all
  game.tt.getImRankList({ dataType: 0, rankType: 'year' });
  // @ts-expect-error getImRankData needs a relationType
  game.tt.getImRankData({ dataType: 0, rankType: 'day' });
  // @ts-expect-error Douyin's Sync forms are positional
  mp.tt.getStorageSync({ key: 'k' });
}
void [storage, appStorage, seed];
