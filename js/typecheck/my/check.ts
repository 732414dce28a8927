// Our `my` object against Alipay's official typings (@mini-types/my).
//
// Those typings declare every async API as returning a Promise even when callbacks are given;
// ours returns a Promise only when none is (contract §4). So the async forms are checked for
// accepting every argument the official ones accept and for answering what they answer, and the
// Sync forms (Alipay's object-taking ones) must fit the official ones outright.
import { createMiniProgram } from '../../src';

const mp = createMiniProgram({ platform: 'my', user: 'u', app: 'a' });

// removeStorageSync is left out: Alipay's typings say it answers `{success: true}` only, while a
// failure (e.g. a storage failure) answers `{success: false, error, errorMessage}` as the other
// Sync forms do; its argument and success answer are checked below.
type SyncApis = 'setStorageSync' | 'getStorageSync' | 'clearStorageSync' | 'getStorageInfoSync';
const syncForms: Pick<typeof my, SyncApis> = mp.my;

type Accepts<Official extends (...a: any) => any, Ours extends (...a: any) => any> =
  Parameters<Official> extends Parameters<Ours> ? true : false;
const accepts: [
  Accepts<typeof my.setStorage, typeof mp.my.setStorage>,
  Accepts<typeof my.getStorage, typeof mp.my.getStorage>,
  Accepts<typeof my.removeStorage, typeof mp.my.removeStorage>,
  Accepts<typeof my.clearStorage, typeof mp.my.clearStorage>,
  Accepts<typeof my.getStorageInfo, typeof mp.my.getStorageInfo>,
  Accepts<typeof my.removeStorageSync, typeof mp.my.removeStorageSync>,
] = [true, true, true, true, true, true];

async function answers(): Promise<void> {
  const got: Awaited<ReturnType<typeof my.getStorage>> = await mp.my.getStorage({ key: 'k' });
  const info: Awaited<ReturnType<typeof my.getStorageInfo>> = await mp.my.getStorageInfo();
  // The seed's example, typed.
  mp.my.setStorage({
    key: 'currentCity',
    data: { cityName: '杭州', adCode: '330100', spell: 'hangzhou' },
    success: (res) => res,
    fail: (err) => err.errorMessage,
    complete: (res) => res,
  });
  // @ts-expect-error Alipay's Sync forms take one options object
  mp.my.setStorageSync('k', 1);
  // @ts-expect-error …and getStorageSync({key}) answers {data}, not the value
  const bare: string = mp.my.getStorageSync({ key: 'k' });
  void [got, info, bare];
}
void [syncForms, accepts, answers];
