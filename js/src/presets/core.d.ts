// The test-runner presets (mpstore-node/jest, mpstore-node/vitest): what they put on globalThis.
import type { InstallGlobalsOptions, MiniProgram, Platform, Scope } from '../index';

/** The preset's configuration (jest `globals.__MPSTORE__`, vitest `test.provide.mpstore`, or MPSTORE_*). */
export interface PresetConfig {
  /** Default $MPSTORE_PLATFORM, else `'wx'`. */
  platform?: Platform;
  /** Default $MPSTORE_USER, else `'test-user'`. */
  user?: string;
  /** Default $MPSTORE_APP, else `'test-app'`. */
  app?: string;
  /** Default $MPSTORE_SCOPE (`app`, `webview` or `plugin:<id>`), else `'app'`. */
  scope?: Scope | `plugin:${string}`;
  /** When the store is emptied: before each test (default), before the file's first test, or never. */
  reset?: 'test' | 'file' | 'never';
  /** Passed to installGlobals: `pages`, `app` (what `getApp()` returns), `systemInfo`. */
  globals?: InstallGlobalsOptions;
}

/** The hooks a runner's glue registers around one test file. */
export interface PresetSession {
  mp: MiniProgram<Platform>;
  config: Required<Omit<PresetConfig, 'scope'>> & { scope: Scope };
  beforeAll(): void;
  beforeEach(): void;
  afterAll(): Promise<void>;
}

/** Opens the file's in-memory store and installs the host globals; `given` wins over the rest. */
export function start(given?: PresetConfig): PresetSession;

/** The configuration `start` would use. */
export function readConfig(given?: PresetConfig, env?: Record<string, string | undefined>): PresetSession['config'];

declare global {
  /** The test file's mini-program (mpstore-node's jest / vitest preset): `mpstore.host.seed({...})`,
   * `mpstore.host.dump()`, `mpstore.wx`, … */
  var mpstore: MiniProgram<Platform>;
  /** The preset's configuration, set by the runner (jest `globals`, vitest `define`). */
  var __MPSTORE__: PresetConfig | undefined;
}
