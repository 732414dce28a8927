// Typings of the mini-game cloud-data APIs (behaviour §5): the `wx` and `tt` cloud objects of
// `createMiniGame`, their options and answers. Re-exported by index.d.ts.
import type { AsyncReturn, Callbacks, GeneralResult, TtFail, WxFail } from './index';

/** `{key, value}`, both Strings: one item of a player's cloud data. */
export interface KVData {
  key: string;
  value: string;
}

/** One player in a relation read. */
export interface UserGameData {
  avatarUrl: string;
  nickname: string;
  openid: string;
  KVDataList: KVData[];
}

type CloudSetOption<F> = { KVDataList: KVData[] } & Callbacks<GeneralResult, F>;
type CloudKeysOption<S, F> = { keyList: string[] } & Callbacks<S, F>;
type CloudRead = { KVDataList: KVData[]; errMsg: string };
type RelationRead = { data: UserGameData[]; errMsg: string };

/** WeChat's mini-game cloud data (`wx.setUserCloudStorage`, …). */
export interface WxCloud {
  setUserCloudStorage<U extends CloudSetOption<WxFail> = CloudSetOption<WxFail>>(option: U): AsyncReturn<U, GeneralResult>;
  getUserCloudStorage<U extends CloudKeysOption<CloudRead, WxFail>>(option: U): AsyncReturn<U, CloudRead>;
  removeUserCloudStorage<U extends CloudKeysOption<GeneralResult, WxFail>>(option: U): AsyncReturn<U, GeneralResult>;
  getUserCloudStorageKeys<U extends Callbacks<{ keys: string[]; errMsg: string }, WxFail>>(
    option?: U,
  ): AsyncReturn<U, { keys: string[]; errMsg: string }>;
  getFriendCloudStorage<U extends CloudKeysOption<RelationRead, WxFail>>(option: U): AsyncReturn<U, RelationRead>;
  getGroupCloudStorage<U extends { shareTicket?: string; groupid?: string; keyList: string[] } & Callbacks<RelationRead, WxFail>>(
    option: U,
  ): AsyncReturn<U, RelationRead>;
  /** The player's interactive values (keys `'1'`–`'50'`), sealed for the game's server. */
  getUserInteractiveStorage<U extends InteractiveKeysOption>(option: U): AsyncReturn<U, InteractiveRead>;
  /** Adds `opNum` to a friend's value under `key` (open data context); no Promise form. */
  modifyFriendInteractiveStorage(option: ModifyFriendInteractiveStorageOption): void;
  /** Called with the `key` of each successful `modifyFriendInteractiveStorage` of this player. */
  onInteractiveStorageModified(callback: (key: string) => void): void;
}

/** `getUserInteractiveStorage`'s success: `{kv_list, watermark}` sealed with the session key
 * (AES-128-CBC, base64), and an opaque `cloudID`. */
export interface InteractiveRead {
  encryptedData: string;
  iv: string;
  cloudID: string;
  errMsg: string;
}

/** An interactive storage failure: `{errMsg, errCode?}` (`-17008`, `-17012`, `-17007`; WeChat's
 * typings declare only `-17008`, but a call also fails without a code, e.g. nobody logged in). */
export interface InteractiveFail {
  errMsg: string;
  errCode?: number;
}

/** `getUserInteractiveStorage`'s options (callbacks as methods, as WeChat's typings take them). */
export interface InteractiveKeysOption {
  keyList: string[];
  success?(res: InteractiveRead): void;
  fail?(res: InteractiveFail): void;
  complete?(res: InteractiveRead | InteractiveFail): void;
}

/** `modifyFriendInteractiveStorage`'s options (`title`, `imageUrl`, `imageUrlId` and `quiet` change nothing here). */
export interface ModifyFriendInteractiveStorageOption {
  success?(res: GeneralResult): void;
  fail?(res: InteractiveFail): void;
  complete?(res: GeneralResult | InteractiveFail): void;
  key: string;
  opNum: number;
  operation: 'add';
  toUser?: string;
  title?: string;
  imageUrl?: string;
  imageUrlId?: string;
  quiet?: boolean;
}

/** Douyin's mini-game cloud data (`tt.setUserCloudStorage`, `tt.getCloudStorageByRelation`, …). */
export interface TtCloud {
  setUserCloudStorage<U extends CloudSetOption<TtFail> = CloudSetOption<TtFail>>(option: U): AsyncReturn<U, GeneralResult>;
  getUserCloudStorage<U extends CloudKeysOption<CloudRead, TtFail>>(option: U): AsyncReturn<U, CloudRead>;
  removeUserCloudStorage<U extends CloudKeysOption<GeneralResult, TtFail>>(option: U): AsyncReturn<U, GeneralResult>;
  getCloudStorageByRelation<
    U extends {
      type: 'friend' | 'group' | 'recommend';
      keyList: string[];
      extra?: { sortKey?: string; groupId?: string };
    } & Callbacks<RelationData, TtFail>,
  >(option: U): AsyncReturn<U, RelationData>;
}

/** A relation read's answer. */
export type RelationData = RelationRead;

/** `tt.setImRankData` / `tt.setImRankDataInOpenContext`: a score (`dataType: 0`, `value` digits
 * below 2147483647) or an enum name (`dataType: 1`, ranked by `priority`). */
export type ImRankSetOption = {
  dataType: 0 | 1;
  value: string;
  priority?: number;
  extra?: string;
  zoneId?: string;
} & Callbacks<GeneralResult, TtFail>;

/** What `tt.getImRankList` and `tt.getImRankData` both take. */
interface ImRankQuery {
  relationType?: 'friend' | 'all';
  dataType: 0 | 1;
  rankType: 'day' | 'week' | 'month' | 'all';
  zoneId?: string;
}

/** One leaderboard entry (Douyin's `RankResItem`). */
export interface RankResItem {
  data_type: 0 | 1;
  value: string;
  priority: number;
  extra: string;
  openid: string;
  sec_uid: string;
  user_img: string;
  nick_name: string;
  /** Unix seconds of the write. */
  utime: number;
}

/** `tt.getImRankData`'s answer: one page, and the caller's own entry with its rank (from 1). */
export interface ImRankData {
  data: { items: RankResItem[]; self_user_info: (RankResItem & { rank: number }) | null };
  errMsg: string;
}

/** What `tt.getImRankList` last drew for a player (`game.host.imRankShown`). */
export interface ImRankShown {
  relationType: 'friend' | 'all';
  dataType: 0 | 1;
  rankType: 'day' | 'week' | 'month' | 'all';
  zoneId: string;
  suffix: string;
  rankTitle: string;
  /** The clock's milliseconds when it was drawn. */
  shownAt: number;
  items: RankResItem[];
}

/** Douyin's user groups and ImRank leaderboards (behaviour §5.1). */
export interface TtImRank {
  setUserGroup<U extends { groupId: string } & Callbacks<GeneralResult, TtFail>>(option: U): AsyncReturn<U, GeneralResult>;
  setImRankData<U extends ImRankSetOption>(option: U): AsyncReturn<U, GeneralResult>;
  setImRankDataInOpenContext<U extends ImRankSetOption>(option: U): AsyncReturn<U, GeneralResult>;
  getImRankList<U extends ImRankQuery & { suffix?: string; rankTitle?: string } & Callbacks<GeneralResult, TtFail>>(
    option: U,
  ): AsyncReturn<U, GeneralResult>;
  getImRankData<U extends ImRankQuery & { relationType: 'friend' | 'all'; pageNum?: number; pageSize?: number } & Callbacks<ImRankData, TtFail>>(
    option: U,
  ): AsyncReturn<U, ImRankData>;
}
