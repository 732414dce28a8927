// Our mini-game `wx` object against WeChat's official mini-game typings (minigame-api-typings).
import { createMiniGame } from '../../src';

const game = createMiniGame({ platform: 'wx', game: 'g', openid: 'o', context: 'open' });

type Apis =
  | 'setStorage' | 'getStorage' | 'removeStorage' | 'clearStorage' | 'getStorageInfo'
  | 'setStorageSync' | 'getStorageSync' | 'removeStorageSync' | 'clearStorageSync' | 'getStorageInfoSync'
  | 'setUserCloudStorage' | 'getUserCloudStorage' | 'removeUserCloudStorage'
  | 'getUserCloudStorageKeys' | 'getFriendCloudStorage' | 'getGroupCloudStorage'
  | 'getUserInteractiveStorage' | 'modifyFriendInteractiveStorage' | 'onInteractiveStorageModified';

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
  game.wx.modifyFriendInteractiveStorage({ key: '1', opNum: 1, operation: 'add', toUser: 'friend', fail: (e) => e.errCode });
  game.wx.onInteractiveStorageModified((key) => key.length);
  void game.wx.getUserInteractiveStorage({ keyList: ['1'] }).then((res) => res.encryptedData + res.iv + res.cloudID);
  // @ts-expect-error opNum is a number
  game.wx.modifyFriendInteractiveStorage({ key: '1', opNum: '1', operation: 'add' });
  // @ts-expect-error KVData values are strings
  game.wx.setUserCloudStorage({ KVDataList: [{ key: 'score', value: 16 }] });
  void wx;
}
void examples;
