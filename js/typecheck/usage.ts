// Our own declarations, on their own: the shapes a program relies on.
import { createMiniProgram, createMiniGame, SyncError, BridgeError } from '../src';

async function usage(): Promise<void> {
  const mp = createMiniProgram({ platform: 'my', user: 'u', app: 'a', scope: { plugin: 'p' }, durability: 'buffered' });
  const r = mp.my.setStorageSync({ key: 'k', data: 1 });
  const ok: boolean = r.success;
  const data: unknown = mp.my.getStorageSync({ key: 'k' }).data;
  const p: Promise<{ success: true }> = mp.my.setStorage({ key: 'k', data: 1 });
  const v: void = mp.my.setStorage({ key: 'k', data: 1, success: () => undefined });
  const web = mp.webview().my;
  await mp.close();
  const g = createMiniGame({ platform: 'tt', game: 'g', openid: null, context: 'open' });
  const open = g.as({ openid: 'o' });
  const rel = await open.tt.getCloudStorageByRelation({ type: 'group', keyList: ['k'], extra: { sortKey: 'k', groupId: 'g1' } });
  const first: string | undefined = rel.data[0]?.openid;
  try {
    g.tt.getStorageSync('k');
  } catch (e) {
    const err = e as SyncError;
    const code: number | undefined = err.errNo;
    void code;
  }
  const b: BridgeError | null = null;
  // @ts-expect-error Alipay has no game cloud data
  createMiniGame({ platform: 'my', game: 'g' });
  // @ts-expect-error `wx` has no such dialect object on an Alipay mini-program
  mp.wx;
  void [ok, data, p, v, web, first, b];
}
void usage;
