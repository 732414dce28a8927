// Our mini-game `wx` object against WeChat's official mini-game typings (minigame-api-typings).
import { createMiniGame } from '../../src';

const game = createMiniGame({ platform: 'wx', game: 'g', openid: 'o', context: 'open' });

type Apis =
  | 'setStorage' | 'getStorage' | 'removeStorage' | 'clearStorage' | 'getStorageInfo'
  | 'setStorageSync' | 'getStorageSync' | 'removeStorageSync' | 'clearStorageSync' | 'getStorageInfoSync'
  | 'setUserCloudStorage' | 'getUserCloudStorage' | 'removeUserCloudStorage'
  | 'getUserCloudStorageKeys' | 'getFriendCloudStorage' | 'getGroupCloudStorage';

const wx: Pick<WechatMinigame.Wx, Apis> = game.wx;

function examples(): void {
  game.wx.setUserCloudStorage({
    KVDataList: [{ key: 'score', value: JSON.stringify({ wxgame: { score: 16, update_time: 1513080573 }, cost_ms: 36500 }) }],
    success: (res) => res.errMsg,
  });
  game.wx.getFriendCloudStorage({
    keyList: ['score'],
    success: (res) => res.data.map((u: WechatMinigame.UserGameData) => u.KVDataList),
  });
  // @ts-expect-error KVData values are strings
  game.wx.setUserCloudStorage({ KVDataList: [{ key: 'score', value: 16 }] });
  void wx;
}
void examples;
