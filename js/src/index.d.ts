// Types of the mpstore Node package. They follow the platforms' official typings
// (miniprogram-api-typings, minigame-api-typings, @mini-types/my, @douyin-microapp/typings);
// test/typings checks them against those packages with `tsc --noEmit`.

/** A platform dialect. */
export type Platform = 'wx' | 'my' | 'tt' | 'qq' | 'ks' | 'swan' | 'tt-app' | 'lark' | 'dd';

/** The API object a dialect's mini-program calls: `tt` for Douyin mini-apps and Lark. */
export type ObjectOf<P extends Platform> = P extends 'tt-app' | 'lark' ? 'tt' : P;

/** Baidu's Sync forms return an Error (base library 3.140.1 and later) instead of throwing. */
export type SwanStorage = {
  [K in keyof WxLikeStorage]: WxLikeStorage[K] extends (...args: infer A) => infer R
    ? K extends `${string}Sync` ? (...args: A) => R | SyncError : WxLikeStorage[K]
    : WxLikeStorage[K];
};

/** WeChat's local storage without its batch APIs (QQ, Kuaishou). */
export type WxLikeStorage = Omit<WxStorage, 'batchSetStorage' | 'batchGetStorage' | 'batchSetStorageSync' | 'batchGetStorageSync'>;

/** Where a mini-program's local storage lives: the app itself, its web-view, or a plugin. */
export type Scope = 'app' | 'webview' | { plugin: string };

/** The three callbacks of an asynchronous API. */
export interface Callbacks<S, F> {
  /** Called with the success result. */
  success?: (res: S) => void;
  /** Called with the failure. */
  fail?: (res: F) => void;
  /** Called last, in every outcome. */
  complete?: (res: S | F) => void;
}

/** `void` when any callback is given, else a Promise of the success result (rejecting with the failure). */
export type AsyncReturn<O, S> = O extends { success: any }
  ? void
  : O extends { fail: any }
  ? void
  : O extends { complete: any }
  ? void
  : Promise<S>;

/** `{errMsg: "<api>:ok"}`. */
export interface GeneralResult {
  errMsg: string;
}

/** A WeChat failure: `{errMsg: "<api>:fail <reason>", errno?}`. */
export interface WxFail {
  errMsg: string;
  errno?: number;
}

/** A Douyin failure: `{errMsg: "<api>:fail <reason>", errNo}` (cloud APIs: `errorCode`). */
export interface TtFail {
  errMsg: string;
  errNo?: number;
  errorCode?: number;
}

/** An Alipay failure: `{error, errorMessage}`. */
export interface MyFail {
  error?: number;
  errorMessage?: string;
}

/** What a WeChat / Douyin Sync form throws: an Error whose message is errMsg. */
export interface SyncError extends Error {
  errMsg: string;
  errno?: number;
  errNo?: number;
}

/** `getStorageInfo`'s answer: keys in insertion order, sizes in KB. */
export interface StorageInfo {
  keys: string[];
  currentSize: number;
  limitSize: number;
}

/** `{key, value}`: an item of WeChat's `batchSetStorage`. */
export interface KvItem {
  key: string;
  value: any;
}

type WxSetOption<T> = { key: string; data: T; encrypt?: boolean } & Callbacks<GeneralResult, WxFail>;
type WxGetOption<T> = { key: string; encrypt?: boolean } & Callbacks<{ data: T; errMsg: string }, WxFail>;
type WxKeyOption = { key: string } & Callbacks<GeneralResult, WxFail>;
type WxNoOption = Callbacks<GeneralResult, WxFail>;
type WxInfoOption = Callbacks<StorageInfo & GeneralResult, WxFail>;
type WxBatchSetOption = { kvList: KvItem[] } & Callbacks<GeneralResult, WxFail>;
type WxBatchGetOption = { keyList: string[] } & Callbacks<GeneralResult & { dataList: any[] }, WxFail>;

/** WeChat's local storage (`wx.setStorage`, `wx.getStorageSync`, …). */
export interface WxStorage {
  setStorage<T = any, U extends WxSetOption<T> = WxSetOption<T>>(option: U): AsyncReturn<U, GeneralResult>;
  getStorage<T = any, U extends WxGetOption<T> = WxGetOption<T>>(option: U): AsyncReturn<U, { data: T; errMsg: string }>;
  removeStorage<U extends WxKeyOption = WxKeyOption>(option: U): AsyncReturn<U, GeneralResult>;
  clearStorage<U extends WxNoOption = WxNoOption>(option?: U): AsyncReturn<U, GeneralResult>;
  getStorageInfo<U extends WxInfoOption = WxInfoOption>(option?: U): AsyncReturn<U, StorageInfo & GeneralResult>;
  batchSetStorage<U extends WxBatchSetOption = WxBatchSetOption>(option: U): AsyncReturn<U, GeneralResult>;
  batchGetStorage<U extends WxBatchGetOption = WxBatchGetOption>(option: U): AsyncReturn<U, GeneralResult & { dataList: any[] }>;
  /** Throws a {@link SyncError} on failure. */
  setStorageSync<T = any>(key: string, data: T): void;
  /** The value, or `""` for a missing key. Throws a {@link SyncError} on failure. */
  getStorageSync<T = any>(key: string): T;
  removeStorageSync(key: string): void;
  clearStorageSync(): void;
  getStorageInfoSync(): StorageInfo;
  batchSetStorageSync(kvList: KvItem[]): void;
  batchGetStorageSync(keyList: string[]): any[];
}

type TtSetOption = { key: string; data: unknown } & Callbacks<GeneralResult, TtFail>;
type TtGetOption = { key: string } & Callbacks<{ data: any; errMsg: string }, TtFail>;
type TtKeyOption = { key: string } & Callbacks<GeneralResult, TtFail>;
type TtNoOption = Callbacks<GeneralResult, TtFail>;
type TtInfoOption = Callbacks<StorageInfo & GeneralResult, TtFail>;

/** Douyin's local storage (`tt.setStorage`, `tt.getStorageSync`, …). */
export interface TtStorage {
  setStorage<U extends TtSetOption = TtSetOption>(option: U): AsyncReturn<U, GeneralResult>;
  getStorage<U extends TtGetOption = TtGetOption>(option: U): AsyncReturn<U, { data: any; errMsg: string }>;
  removeStorage<U extends TtKeyOption = TtKeyOption>(option: U): AsyncReturn<U, GeneralResult>;
  clearStorage<U extends TtNoOption = TtNoOption>(option?: U): AsyncReturn<U, GeneralResult>;
  getStorageInfo<U extends TtInfoOption = TtInfoOption>(option?: U): AsyncReturn<U, StorageInfo & GeneralResult>;
  /** Throws a {@link SyncError} on failure. */
  setStorageSync(key: string, data: unknown): void;
  /** The value, or `""` for a missing key. Throws a {@link SyncError} on failure. */
  getStorageSync(key: string): any;
  removeStorageSync(key: string): void;
  clearStorageSync(): void;
  getStorageInfoSync(): StorageInfo;
}

/** What an Alipay Sync write returns: `{success: true}` or `{success: false, error, errorMessage}`. */
export interface MySyncResult {
  success: boolean;
  error?: number;
  errorMessage?: string;
}

/** Alipay's callbacks: `complete` gets the success result or the failure, typed as both at once
 * (as Alipay's typings type it). */
export interface MyCallbacks<S> {
  success?: (res: S) => void;
  fail?: (res: MyFail) => void;
  complete?: (res: Partial<S> & MyFail) => void;
}

type MySetOption = { key: string; data: unknown } & MyCallbacks<{ success: true }>;
type MyGetOption = { key: string } & MyCallbacks<{ data: any }>;
type MyKeyOption = { key: string } & MyCallbacks<{ success: true }>;
type MyNoOption = MyCallbacks<{ success: true }>;
type MyInfoOption = MyCallbacks<StorageInfo>;

/** Alipay's local storage (`my.setStorage`, `my.getStorageSync({key})`, …): Sync forms never throw. */
export interface MyStorage {
  setStorage<U extends MySetOption = MySetOption>(option: U): AsyncReturn<U, { success: true }>;
  getStorage<U extends MyGetOption = MyGetOption>(option: U): AsyncReturn<U, { data: any }>;
  removeStorage<U extends MyKeyOption = MyKeyOption>(option: U): AsyncReturn<U, { success: true }>;
  clearStorage<U extends MyNoOption = MyNoOption>(option?: U): AsyncReturn<U, { success: true }>;
  getStorageInfo<U extends MyInfoOption = MyInfoOption>(option?: U): AsyncReturn<U, StorageInfo>;
  setStorageSync(option: { key: string; data: unknown }): MySyncResult;
  /** `{data}`, `{data: null}` for a missing key, or a failure object. */
  getStorageSync(option: { key: string }): { data: any } & Partial<MySyncResult>;
  /** `{success: true}`, or a failure object (Alipay's typings declare only the former). */
  removeStorageSync(option: { key: string }): MySyncResult;
  clearStorageSync(): MySyncResult;
  getStorageInfoSync(): StorageInfo & Partial<MySyncResult>;
}

/** Game cloud data: `wx` / `tt` mini-game APIs, with their options and results. */
export * from './cloud';
import type { WxCloud, TtCloud, ImRankShown, TtImRank } from './cloud';

/** Options of {@link createMiniProgram} and {@link createMiniGame}: where the store is and how to run it. */
export interface BridgeOptions {
  /** The store's directory (created on first use, with its master key; its parent must exist),
   * or `':memory:'` for a store in memory (addon engine). Default: a fresh temporary directory,
   * removed by `close()`. Every program on one directory in a process shares its store; the
   * last `close()` closes it. */
  dataDir?: string;
  /** The same as `dataDir: ':memory:'`. */
  memory?: boolean;
  /** Limits in place of the platform's, in the dialect's unit (UTF-16 units for wx and my, UTF-8
   * bytes for tt): the largest entry and the namespace's total (addon engine). */
  limits?: { entry?: number; total?: number };
  /** `'device'` (default): values are stored as the platform stores them (WeChat, QQ, Kuaishou,
   * Alipay, Baidu and DingTalk put them through `JSON.stringify`, so a nested Date reads back as
   * its ISO string and `undefined` fields vanish); `'exact'`: every value reads back as given. */
  values?: 'device' | 'exact';
  /** Availability as on a device of this base library (addon engine): newer APIs, and APIs
   * plugins may not call (in plugin scope), are absent, and `canIUse` answers for them. */
  baseLibrary?: string;
  /** `false` turns off the read cache in JavaScript that answers hot `getStorageSync` reads
   * (the first program to open a store decides). */
  readCache?: boolean;
  /** `'addon'` (default: the engine in this process) or `'bridge'` (an `mpstore bridge` child
   * process). Default: $MPSTORE_ENGINE, else `'addon'`. */
  engine?: 'addon' | 'bridge';
  /** `'durable'` (default: a write is on disk when its call succeeds) or `'buffered'` (faster; a
   * crash may lose the last moments of writes). */
  durability?: 'durable' | 'buffered';
  /** The bridge engine's executable (default: $MPSTORE_BIN, the workspace's build, then `mpstore`). */
  bin?: string;
  /** The bridge's cap on one request line, in bytes. */
  maxLineBytes?: number;
}

/** Why a store could not be opened: the Error `createMiniProgram` / `createMiniGame` throws. */
export interface OpenError extends Error {
  code:
    | 'MPSTORE_LOCKED'
    | 'MPSTORE_NOT_A_DIRECTORY'
    | 'MPSTORE_NO_DIRECTORY'
    | 'MPSTORE_UNREADABLE'
    | 'MPSTORE_WRONG_KEY'
    | 'MPSTORE_CORRUPT'
    | 'MPSTORE_DURABILITY_MISMATCH'
    | 'MPSTORE_NO_ENGINE'
    | 'MPSTORE_OPEN_FAILED';
}

/** Options of {@link createMiniProgram}. */
export interface MiniProgramOptions<P extends Platform> extends BridgeOptions {
  platform: P;
  /** The host's user id. */
  user: string;
  /** The mini-program's app id. */
  app: string;
  /** Default `'app'`. */
  scope?: Scope;
}

type DialectOf<P extends Platform> = P extends 'wx'
  ? WxStorage
  : P extends 'my' | 'dd'
  ? MyStorage
  : P extends 'qq' | 'ks'
  ? WxLikeStorage
  : P extends 'swan'
  ? SwanStorage
  : TtStorage;

/** Host operations on the whole store (not mini-program APIs). */
export interface ProgramHost {
  /** Every namespace holding data, with its usage. */
  namespaces(): Array<Record<string, unknown> & { kind: string; bytes: number; entries: number }>;
  /** Removes this app's data for this user, every scope (the user deleted the mini-program). */
  removeApp(): { removed: number };
  /** Removes all data of this user (logout / uninstall). */
  removeUser(): { removed: number };
  /** Writes each `{key: value}` into this namespace through the dialect's own Sync API (its
   * limits apply; a refused entry throws). */
  seed(entries: Record<string, unknown>): void;
  /** The whole store (or `'this'` namespace, or one named namespace) as a dump (docs/dump.md). */
  dump(only?: 'this' | DumpNamespaceId): Dump;
  /** Empties the whole store (or `'this'` namespace, or one named namespace). */
  reset(only?: 'this' | DumpNamespaceId): unknown;
  /** The whole store as a dump, to {@link ProgramHost.restore} later. */
  snapshot(): Dump;
  /** Makes the store exactly the dump (entries measured as this dialect measures them). */
  restore(snapshot: Dump): unknown;
  /** Makes the `nth` call from now (default: the next) of API `api` fail with `error`, in the
   * dialect's exact shape, until `reset()` (addon engine). */
  fail(api: string, error: FaultName, options?: { nth?: number }): void;
  /** Delays the callbacks (or the Promise) of every call of async API `api` by `ms`, until
   * `reset()` (addon engine). */
  delay(api: string, ms: number): void;
  /** Fills this namespace to `level` (0 to 1) of its quota with `__mpstore_fill_<n>__` entries. */
  fill(level: number): void;
  /** Serves the storage inspector (docs/inspector.md) for this store on 127.0.0.1 from this
   * process (addon engine); calling again answers the running one; closing the store stops it. */
  inspect(options?: { port?: number }): Inspector;
}

/** A running storage inspector: open `url` (it carries the token) in a browser. */
export interface Inspector {
  url: string;
  /** Required on every request (`x-mpstore-token` header or `?token=`). */
  token: string;
  port: number;
  /** Stops serving; `true` if it was running. */
  stop(): boolean;
}

/** A failure a test injects: a local-storage failure, a cloud rule, or a Douyin cloud errorCode. */
export type FaultName =
  | 'quota'
  | 'entry'
  | 'internal'
  | 'closed'
  | 'tooManyPairs'
  | 'notLoggedIn'
  | 'keyTooLong'
  | 'keyValueTooLong'
  | 'invalidItem'
  | 'notAGame'
  | 'notOpenDataContext'
  | '999998'
  | '999999'
  | '999987'
  | '999993';

/** Which namespace of a store: a mini-program's local storage, a player's cloud data, a game's host data. */
export type DumpNamespaceId =
  | { kind: 'local'; user: string; app: string; scope: Scope }
  | { kind: 'cloud'; game: string; openid: string }
  | { kind: 'game_host'; game: string; subject: string };

/** One entry of a dump: local entries carry tagged JSON values (docs/bridge.md#values). */
export interface DumpEntry {
  key?: string;
  value?: unknown;
  encrypt?: true;
  keyHex?: string;
  recordHex?: string;
}

/** A store, or part of it, as JSON that keeps every JavaScript type (docs/dump.md). */
export interface Dump {
  format: 'mpstore-dump';
  version: 1;
  namespaces: Array<DumpNamespaceId & { bytes: number; entries: number; data: DumpEntry[] }>;
}

/** A mini-program: its dialect object, under the platform's name. */
export type MiniProgram<P extends Platform> = { [K in ObjectOf<P>]: DialectOf<P> } & {
  /** The API object's name (`tt` for Douyin mini-apps and Lark). */
  object: ObjectOf<P>;
  platform: P;
  user: string;
  app: string;
  scope: Scope;
  dataDir: string;
  /** Another user, app, scope or dialect of the same store, over the same bridge. */
  as<Q extends Platform = P>(changes: { platform?: Q; user?: string; app?: string; scope?: Scope }): MiniProgram<Q>;
  /** The same mini-program's web-view (isolated storage), over the same bridge. */
  webview(): MiniProgram<P>;
  /** A plugin inside the same mini-program (isolated storage), over the same bridge. */
  plugin(id: string): MiniProgram<P>;
  host: ProgramHost;
  /** Ends the bridge process once every earlier call is answered. */
  close(): Promise<void>;
};

/** Starts a bridge and returns the mini-program's storage APIs. */
export function createMiniProgram<P extends Platform>(options: MiniProgramOptions<P>): MiniProgram<P>;

/** Options of {@link createMiniGame}. */
export interface MiniGameOptions<P extends 'wx' | 'tt'> extends BridgeOptions {
  platform: P;
  /** The game's app id. */
  game: string;
  /** The logged-in player; omitted or null when nobody is logged in. */
  openid?: string | null;
  /** The calling context: reads of cloud data need `'open'` (default `'main'`). */
  context?: 'main' | 'open';
  /** `'game'` (default) or `'app'` (a mini-app, where cloud APIs are refused). */
  host?: 'game' | 'app';
  /** Whose local storage the game's storage APIs use (default: the openid, else `'guest'`). */
  user?: string;
}

/** Host configuration of a game (not mini-game APIs). */
export interface GameHost extends Pick<ProgramHost, 'seed' | 'dump' | 'reset' | 'snapshot' | 'restore' | 'fail' | 'delay' | 'fill' | 'inspect'> {
  setLeaderboardKeys(keys: string[]): null;
  addFriendship(a: string, b: string): null;
  joinGroup(groupId: string, openid: string): null;
  recommend(openid: string, other: string): null;
  setProfile(openid: string, profile: { nickname: string; avatarUrl: string }): null;
  namespaces(): Array<Record<string, unknown> & { kind: string; bytes: number; entries: number }>;
  /** Stops the clock game data runs on (ImRank periods, daily limits) at `ms` or a Date; `null` lets it follow the system's again. Returns the clock's time. */
  setClock(ms: number | Date | null): number;
  /** Moves the clock `ms` milliseconds on from now and stops it there. Returns the clock's time. */
  advanceClock(ms: number): number;
  /** Douyin: the leaderboard `tt.getImRankList` last drew for `openid`, or `null`. */
  imRankShown(openid: string): ImRankShown | null;
  /** Makes `keys` the game's interactive keys (WeChat): `'1'`–`'50'`, the most one call adds
   * (`maxOpNum`, default 1), the most a player adds per Beijing day (`dailyLimit`, default none). */
  setInteractiveKeys(keys: Array<{ key: string; maxOpNum?: number; dailyLimit?: number }>): null;
  /** Records `openid`'s session key (WeChat: base64 of 16 bytes), which server signatures and
   * `getUserInteractiveStorage`'s sealing use. */
  registerSession(openid: string, sessionKey: string): null;
}

/** A mini-game: its dialect object with the cloud APIs and local storage. */
export type MiniGame<P extends 'wx' | 'tt'> = { [K in P]: (P extends 'wx' ? WxCloud & WxStorage : TtCloud & TtImRank & TtStorage) } & {
  platform: P;
  game: string;
  openid: string | null;
  context: 'main' | 'open';
  dataDir: string;
  /** The same game as another caller or context, over the same bridge. */
  as(changes: Partial<Pick<MiniGameOptions<P>, 'openid' | 'context' | 'host' | 'user'>>): MiniGame<P>;
  host: GameHost;
  close(): Promise<void>;
};

/** Starts a bridge and returns the mini-game's APIs. */
export function createMiniGame<P extends 'wx' | 'tt'>(options: MiniGameOptions<P>): MiniGame<P>;

/** A failure of the bridge itself (not a platform failure): a protocol error or a dead process. */
export class BridgeError extends Error {
  kind: string;
}

/** The mpstore executable that would be used. */
export function findBin(bin?: string): string;

// Host globals: what a mini-program host provides besides storage, so that real frameworks
// (Taro, uni-app) run unmodified on the dialect objects. Not storage APIs.

/** A page of the page stack: any object (frameworks read `route`, `options`, `$vm`, …). */
export type HostPage = Record<string, any>;

/** The page stack, oldest first (the current page last): the host's own array, to push to. */
export function getCurrentPages(): HostPage[];

/** Replaces the page stack; returns it. */
export function setCurrentPages<T extends HostPage[]>(pages: T): T;

/** The app object (`getApp({allowDefault})` answers the same); its fields are the caller's to set. */
export function getApp(options?: { allowDefault?: boolean }): Record<string, any>;

/** Replaces the app object; returns it. */
export function setApp<T extends object>(app: T): T;

/**
 * The platforms' `canIUse(schema)` answered from a dialect object (default: the one installed
 * last by {@link installGlobals}): `'batchSetStorage'` is true exactly when the object has that
 * property; `'<api>.object.success'` (`fail`, `complete`) is true for an asynchronous API;
 * `'<api>.return.<field>'` calls a read-only API (`getSystemInfoSync`, `getStorageInfoSync`, …)
 * and looks for the field; `'<property>.<field>'` walks the object; anything else is false.
 */
export function canIUse(name: string, api?: object | null): boolean;

/** A static system info, as the platform's developer tools give it. */
export interface SystemInfo {
  brand: string;
  model: string;
  pixelRatio: number;
  screenWidth: number;
  screenHeight: number;
  windowWidth: number;
  windowHeight: number;
  statusBarHeight: number;
  language: string;
  version: string;
  system: string;
  /** Always `'devtools'`. */
  platform: 'devtools';
  SDKVersion: string;
  fontSizeSetting: number;
  safeArea: { top: number; left: number; right: number; bottom: number; width: number; height: number };
  /** The platform's own fields (`host`, `app`, `appName`, `titleBarHeight`, …). */
  [field: string]: unknown;
}

/** A fresh copy of the platform's static system info (default: the installed platform, else `'wx'`). */
export function getSystemInfoSync(platform?: Platform): SystemInfo;

/** Options of {@link installGlobals}. */
export interface InstallGlobalsOptions {
  /** The dialect to install (default: the program's `platform`). */
  platform?: Platform;
  /** The page stack `getCurrentPages()` returns. */
  pages?: HostPage[];
  /** The object `getApp()` returns. */
  app?: object;
  /** Fields merged over the platform's static system info (what `getSystemInfoSync()` returns). */
  systemInfo?: Partial<SystemInfo> & Record<string, unknown>;
}

/**
 * Stands up a mini-program host on `globalThis` for a program or game: `globalThis[platform]` is
 * its dialect object; `getCurrentPages` and `getApp` become globals; the dialect object gains
 * `canIUse(name)` and `getSystemInfoSync()` where it has no such property; a `navigator` with the
 * platform's user agent is added only when `globalThis` has none. Returns `uninstall()`, which
 * restores the previous globals, host state and dialect object.
 */
export function installGlobals(
  mp: { platform: Platform } & Partial<Record<Platform, object>>,
  options?: InstallGlobalsOptions,
): () => void;
