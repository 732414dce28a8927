// Our `wx` object against WeChat's official mini-program typings (miniprogram-api-typings).
import { createMiniProgram } from '../../src';

const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a' });

type Storage =
  | 'setStorage' | 'getStorage' | 'removeStorage' | 'clearStorage' | 'getStorageInfo'
  | 'batchSetStorage' | 'batchGetStorage'
  | 'setStorageSync' | 'getStorageSync' | 'removeStorageSync' | 'clearStorageSync'
  | 'getStorageInfoSync' | 'batchSetStorageSync' | 'batchGetStorageSync';

// Every storage API of ours fits where the official one is expected.
const wx: Pick<WechatMiniprogram.Wx, Storage> = mp.wx;

// The typings' own examples type-check against our object, with the same result types.
async function examples(): Promise<void> {
  const ok: WechatMiniprogram.GeneralCallbackResult = await mp.wx.setStorage({ key: 'key', data: 'value' });
  const got: { data: number; errMsg: string } = await mp.wx.getStorage<number>({ key: 'key' });
  const none: void = mp.wx.getStorage({ key: 'key', success: (res) => console.log(res.data) });
  const value: string = mp.wx.getStorageSync<string>('key');
  const info: WechatMiniprogram.GetStorageInfoSyncOption = mp.wx.getStorageInfoSync();
  mp.wx.batchSetStorageSync([{ key: 'a', value: 1 }]);
  const values: any[] = mp.wx.batchGetStorageSync(['a']);
  // @ts-expect-error the Sync forms are positional, not options objects
  mp.wx.setStorageSync({ key: 'k', data: 1 });
  // @ts-expect-error a key is a string
  mp.wx.removeStorageSync(1);
  // @ts-expect-error `wx` has no Alipay-style object Sync forms either
  mp.wx.getStorageSync({ key: 'k' }).data;
  void [ok, got, none, value, info, values, wx];
}
void examples;
declare const console: { log(...args: unknown[]): void };
