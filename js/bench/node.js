'use strict';
// Benchmark of the Node package: the in-process engine (the native addon) against the bridge
// engine, better-sqlite3 and a plain JS object, in the same run, with interleaved rounds.
//
//   cargo xtask bench --only node [--quick] [--json FILE]   (or: node js/bench/node.js …)
//
// Release builds: MPSTORE_ADDON=target/release/libmpstore_node.so MPSTORE_BIN=target/release/mpstore
// (without them the package's own lookup applies: the workspace's debug build first).
//
// Method (see docs/performance-history.md, "Node package (in-process engine)"):
// - peers: addon engine (with the package's read cache in JavaScript, and without it: "engine"),
//   bridge engine, better-sqlite3 (WAL, table kv(k TEXT PRIMARY KEY, v TEXT),
//   prepared statements, values as JSON.stringify text), plain object (obj[key] = value / obj[key]);
// - operations: getStorageSync; setStorageSync buffered (addon/bridge 'buffered', SQLite
//   synchronous=NORMAL, plain object); setStorageSync durable (addon/bridge 'durable', SQLite
//   synchronous=FULL);
// - values: a 100-byte string, a 1 KiB string, a small object; 1,000 keys cycling; every write
//   writes a value the key does not hold already (1,001 values cycle against 1,000 keys);
// - rounds: one warm-up round, then R rounds, each peer once per round, the starting peer rotating;
//   figures are medians over rounds; a ratio is the median of the per-round ratios;
// - open: median of 50 opens (createMiniProgram + one getStorageSync), on disk and in memory;
// - memory: RSS growth over 100,000 buffered addon sets of 1 KiB values (child process).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { createMiniProgram } = require('../src/index');

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const JSON_FILE = jsonAt >= 0 ? args[jsonAt + 1] : null;
if (jsonAt >= 0 && !JSON_FILE) {
  console.error('--json needs a file name');
  process.exit(2);
}

const KEYS = 1000;
const CFG = QUICK
  ? { rounds: 3, get: 1000, bufferedSet: 500, durableSet: 20, opens: 10, memorySets: 20000 }
  : { rounds: 7, get: 5000, bufferedSet: 3000, durableSet: 600, opens: 50, memorySets: 100000 };

// ---------------------------------------------------------------------------------------------
// Helpers

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function nowNs() {
  return process.hrtime.bigint();
}

function tempDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mpstore-bench-${tag}-`));
}

/** A string of exactly n ASCII characters whose first 8 characters carry i. */
function stringValue(n, i) {
  const head = String(i).padStart(8, '0');
  return head + 'x'.repeat(n - 8);
}

const VALUES = {
  '100 B string': (i) => stringValue(100, i),
  '1 KiB string': (i) => stringValue(1024, i),
  'small object': (i) => ({ a: i, b: 'two', c: [3, 4], d: { e: true } }),
};

/** 1,001 distinct values per kind: against 1,000 keys, a key never gets the value it holds. */
const POOLS = {};
for (const [kind, make] of Object.entries(VALUES)) {
  POOLS[kind] = Array.from({ length: KEYS + 1 }, (_, i) => make(i));
}
const KEYNAMES = {};
for (const kind of Object.keys(VALUES)) {
  const tag = kind.replace(/\W+/g, '_');
  KEYNAMES[kind] = Array.from({ length: KEYS }, (_, i) => `${tag}:key${i}`);
}

let sink = 0;
function consume(v) {
  // Keeps results alive so no read is optimised away.
  if (v === undefined || v === null) sink += 1;
  else if (typeof v === 'string') sink += v.length;
  else sink += 2;
}

// ---------------------------------------------------------------------------------------------
// Peers

/** better-sqlite3, from js/bench's own dependencies. */
function sqliteModule() {
  return require('better-sqlite3');
}

function openSqlite(dir, synchronous) {
  const Database = sqliteModule();
  const db = new Database(path.join(dir, 'kv.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)');
  const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
  const read = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
  return {
    set: (k, v) => {
      put.run(k, JSON.stringify(v));
    },
    get: (k) => {
      const s = read.get(k);
      return s === undefined ? '' : JSON.parse(s);
    },
    close: () => db.close(),
  };
}

function openProgram(engine, durability, readCache = true) {
  const dir = tempDir(`${engine}-${durability}`);
  const mp = createMiniProgram({ platform: 'wx', user: 'bench', app: 'bench', dataDir: dir, durability, engine, readCache });
  return {
    set: (k, v) => mp.wx.setStorageSync(k, v),
    get: (k) => mp.wx.getStorageSync(k),
    close: async () => {
      await mp.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function openObject() {
  const obj = {};
  return {
    set: (k, v) => {
      obj[k] = v;
    },
    get: (k) => obj[k],
    close: async () => {},
  };
}

async function openPeers(durability) {
  const sqliteDir = tempDir(`sqlite-${durability}`);
  const sqlite = openSqlite(sqliteDir, durability === 'durable' ? 'FULL' : 'NORMAL');
  const peers = {
    addon: openProgram('addon', durability),
    // The same engine without the package's read cache in JavaScript: every get crosses into it.
    engine: openProgram('addon', durability, false),
    bridge: openProgram('bridge', durability),
    sqlite: {
      ...sqlite,
      close: async () => {
        sqlite.close();
        fs.rmSync(sqliteDir, { recursive: true, force: true });
      },
    },
  };
  if (durability === 'buffered') peers.object = openObject();
  return peers;
}

// ---------------------------------------------------------------------------------------------
// Measurement

/** Per-peer call counters, so a peer's writes keep cycling values across rounds. */
const counters = new Map();

function runSlice(peer, peerId, op, kind, calls) {
  const keys = KEYNAMES[kind];
  const pool = POOLS[kind];
  const id = `${peerId}|${op}|${kind}`;
  let c = counters.get(id) ?? 0;
  let t0;
  let t1;
  if (op === 'get') {
    const get = peer.get;
    t0 = nowNs();
    for (let j = 0; j < calls; j++) consume(get(keys[(c + j) % KEYS]));
    t1 = nowNs();
  } else {
    const set = peer.set;
    t0 = nowNs();
    for (let j = 0; j < calls; j++) set(keys[(c + j) % KEYS], pool[(c + j) % (KEYS + 1)]);
    t1 = nowNs();
  }
  counters.set(id, c + calls);
  return Number(t1 - t0) / 1000 / calls; // µs per call
}

/** Interleaved rounds over the peers: {peerId: [µs per call, one per round]}. */
function interleave(peers, op, kind, calls, rounds) {
  const ids = Object.keys(peers);
  const perRound = Object.fromEntries(ids.map((id) => [id, []]));
  for (let r = -1; r < rounds; r++) {
    // Round -1 is the warm-up; the starting peer rotates each round.
    for (let p = 0; p < ids.length; p++) {
      const id = ids[(p + Math.max(r, 0)) % ids.length];
      const us = runSlice(peers[id], id, op, kind, calls);
      if (r >= 0) perRound[id].push(us);
    }
  }
  return perRound;
}

function ratioOf(perRound, a, b) {
  if (!perRound[a] || !perRound[b]) return null;
  return median(perRound[a].map((x, i) => x / perRound[b][i]));
}

async function prefill(peers) {
  for (const kind of Object.keys(VALUES)) {
    for (const peer of Object.values(peers)) {
      for (let i = 0; i < KEYS; i++) peer.set(KEYNAMES[kind][i], POOLS[kind][i]);
    }
  }
}

async function operations() {
  const results = [];
  const plan = [
    ['get', 'buffered', CFG.get],
    ['set, buffered', 'buffered', CFG.bufferedSet],
    ['set, durable', 'durable', CFG.durableSet],
  ];
  const byDurability = {};
  for (const d of ['buffered', 'durable']) {
    byDurability[d] = await openPeers(d);
    await prefill(byDurability[d]);
  }
  for (const [op, durability, calls] of plan) {
    const peers = byDurability[durability];
    for (const kind of Object.keys(VALUES)) {
      const perRound = interleave(peers, op === 'get' ? 'get' : 'set', kind, calls, CFG.rounds);
      const row = {
        operation: op,
        value: kind,
        callsPerRound: calls,
        rounds: CFG.rounds,
        medianUs: Object.fromEntries(Object.entries(perRound).map(([id, xs]) => [id, median(xs)])),
        perRoundUs: perRound,
        ratios: {
          'addon/sqlite': ratioOf(perRound, 'addon', 'sqlite'),
          'addon/object': ratioOf(perRound, 'addon', 'object'),
          'engine/sqlite': ratioOf(perRound, 'engine', 'sqlite'),
          'engine/object': ratioOf(perRound, 'engine', 'object'),
          'bridge/sqlite': ratioOf(perRound, 'bridge', 'sqlite'),
        },
      };
      results.push(row);
      process.stderr.write(`  ${op}, ${kind}: ${Object.entries(row.medianUs).map(([id, us]) => `${id} ${fmtUs(us)} µs`).join(', ')}\n`);
    }
  }
  for (const peers of Object.values(byDurability)) {
    for (const p of Object.values(peers)) await p.close();
  }
  return results;
}

async function openTimes() {
  // Warm-up: loads the addon and touches the code paths once.
  {
    const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
    mp.wx.getStorageSync('k');
    await mp.close();
  }
  const disk = [];
  const memory = [];
  const closeDisk = [];
  for (let i = 0; i < CFG.opens; i++) {
    const dir = tempDir('open');
    let t0 = nowNs();
    let mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: dir });
    consume(mp.wx.getStorageSync('k'));
    let t1 = nowNs();
    disk.push(Number(t1 - t0) / 1e6);
    t0 = nowNs();
    await mp.close();
    closeDisk.push(Number(nowNs() - t0) / 1e6);
    fs.rmSync(dir, { recursive: true, force: true });

    t0 = nowNs();
    mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ':memory:' });
    consume(mp.wx.getStorageSync('k'));
    t1 = nowNs();
    memory.push(Number(t1 - t0) / 1e6);
    await mp.close();
  }
  return { opens: CFG.opens, diskMs: median(disk), memoryMs: median(memory), diskCloseMs: median(closeDisk), diskAllMs: disk, memoryAllMs: memory };
}

/** Run in a child process (clean heap): RSS before/after N buffered addon sets of 1 KiB. */
async function memoryChild(n) {
  const mib = (b) => b / (1024 * 1024);
  const gc = typeof global.gc === 'function' ? global.gc : () => {};
  const dir = tempDir('memory');
  const mp = createMiniProgram({ platform: 'wx', user: 'u0', app: 'a', dataDir: dir, durability: 'buffered' });
  mp.wx.setStorageSync('warm', 'x');
  const base = 'y'.repeat(1024 - 8);
  const PER_NAMESPACE = 5000;
  gc();
  const before = process.memoryUsage().rss;
  let ns = mp;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) {
    if (i % PER_NAMESPACE === 0) ns = mp.as({ user: `u${i / PER_NAMESPACE}` });
    ns.wx.setStorageSync(`key${i}`, String(i).padStart(8, '0') + base);
  }
  const seconds = Number(nowNs() - t0) / 1e9;
  const afterNoGc = process.memoryUsage().rss;
  gc();
  const after = process.memoryUsage().rss;
  await mp.close();
  gc();
  const afterClose = process.memoryUsage().rss;
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    sets: n,
    valueBytes: 1024,
    namespaces: Math.ceil(n / PER_NAMESPACE),
    rssBeforeMiB: mib(before),
    rssAfterMiB: mib(after),
    growthMiB: mib(after - before),
    growthBeforeGcMiB: mib(afterNoGc - before),
    rssAfterCloseMiB: mib(afterClose),
    setsPerSecond: n / seconds,
  };
}

function memory() {
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--memory-child', String(CFG.memorySets)], {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtUs(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x < 0.1) return x.toFixed(3);
  if (x < 10) return x.toFixed(2);
  if (x < 100) return x.toFixed(1);
  return x.toFixed(0);
}

function fmtRatio(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return x < 10 ? `${x.toFixed(2)}×` : `${x.toFixed(0)}×`;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadavg: os.loadavg(),
    addon: process.env.MPSTORE_ADDON ?? '(package lookup)',
    bin: process.env.MPSTORE_BIN ?? '(package lookup)',
    sqlite: (() => {
      try {
        const Database = sqliteModule();
        const db = new Database(':memory:');
        const v = db.prepare('select sqlite_version()').pluck().get();
        db.close();
        return `better-sqlite3 ${require(path.join(path.dirname(require.resolve('better-sqlite3')), '..', 'package.json')).version}, SQLite ${v}`;
      } catch (e) {
        return `unavailable: ${e.message}`;
      }
    })(),
    quick: QUICK,
  };
}

function markdown(m, ops, open, mem) {
  const lines = [];
  lines.push(`Machine: ${m.cpu}, ${m.cpus} logical CPUs, Node ${m.node}, ${m.os}; ${m.sqlite}.`);
  lines.push(`Date: ${m.date}; load average at start ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}; ${m.quick ? '--quick' : 'full'} run.`);
  lines.push('');
  lines.push('| operation | value | addon µs | engine µs | bridge µs | SQLite µs | object µs | addon ÷ SQLite | addon ÷ object | engine ÷ SQLite | engine ÷ object | bridge ÷ SQLite |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of ops) {
    const u = r.medianUs;
    const q = r.ratios;
    const sqliteMode = r.operation === 'get' ? '' : r.operation.includes('durable') ? ' (FULL)' : ' (NORMAL)';
    lines.push(
      `| ${r.operation}${sqliteMode} | ${r.value} | ${fmtUs(u.addon)} | ${fmtUs(u.engine)} | ${fmtUs(u.bridge)} | ${fmtUs(u.sqlite)} | ${fmtUs(u.object)} | ${fmtRatio(q['addon/sqlite'])} | ${fmtRatio(q['addon/object'])} | ${fmtRatio(q['engine/sqlite'])} | ${fmtRatio(q['engine/object'])} | ${fmtRatio(q['bridge/sqlite'])} |`,
    );
  }
  lines.push('');
  lines.push('| measure | median |');
  lines.push('|---|---:|');
  lines.push(`| open to first call, on disk (${open.opens} opens) | ${open.diskMs.toFixed(2)} ms |`);
  lines.push(`| open to first call, in memory (${open.opens} opens) | ${open.memoryMs.toFixed(3)} ms |`);
  lines.push(`| close, on disk | ${open.diskCloseMs.toFixed(2)} ms |`);
  lines.push(
    `| RSS growth, ${mem.sets.toLocaleString('en')} buffered addon sets of 1 KiB (${mem.namespaces} namespaces) | ${mem.growthMiB.toFixed(1)} MiB (${mem.rssBeforeMiB.toFixed(1)} → ${mem.rssAfterMiB.toFixed(1)} MiB) |`,
  );
  return lines.join('\n');
}

async function main() {
  if (args[0] === '--memory-child') {
    const r = await memoryChild(Number(args[1]));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const m = machine();
  process.stderr.write(`mpstore Node benchmark (${QUICK ? 'quick' : 'full'}): ${m.cpu} ×${m.cpus}, Node ${m.node}, ${m.date}\n`);
  process.stderr.write('operations…\n');
  const ops = await operations();
  process.stderr.write('open times…\n');
  const open = await openTimes();
  process.stderr.write('memory…\n');
  const mem = memory();
  m.loadavgEnd = os.loadavg();
  const md = markdown(m, ops, open, mem);
  process.stdout.write(`${md}\n`);
  if (JSON_FILE) {
    fs.writeFileSync(JSON_FILE, `${JSON.stringify({ machine: m, config: { keys: KEYS, ...CFG }, operations: ops, open, memory: mem, sink }, null, 2)}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
