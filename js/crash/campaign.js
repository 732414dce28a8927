'use strict';
// The Node kill -9 campaign: a child Node process writes durably through the addon, printing each
// write once it is acknowledged (a Sync call returned, or an async call's Promise resolved); it is
// killed with SIGKILL at a random moment; the store is reopened here and every acknowledged write
// must be found, whole. `node crash/campaign.js --cycles N [--seed S]`, or `run()` from a test.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMiniProgram } = require('..');

const KEYS = 64;

/** The size of write `n`'s padding: mostly small, some past the value log's threshold (4 KiB). */
function padding(n) {
  const r = (Math.imul(n, 2654435761) >>> 0) % 100;
  return r < 80 ? r * 7 : r < 95 ? 5000 + r * 13 : 70_000 + r;
}

/** Write `n`: its key, and a value that tells whether it came back whole. */
function write(n) {
  return { key: `k${n % KEYS}`, value: { n, pad: 'x'.repeat(padding(n)), at: new Date(n) } };
}

/** The child: writes forever, alternating Sync and async forms, printing `n` once acknowledged. */
async function child(dataDir, from) {
  const mp = createMiniProgram({ platform: 'wx', user: 'crash', app: 'campaign', dataDir });
  const { wx } = mp;
  for (let n = from; ; n++) {
    const { key, value } = write(n);
    if (n % 2 === 0) wx.setStorageSync(key, value);
    else await wx.setStorage({ key, data: value });
    process.stdout.write(`${n}\n`);
  }
}

/** One cycle: start a writer, kill it after `ms`, return the writes it acknowledged. */
function cycle(dataDir, from, ms) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [__filename, '--child', dataDir, String(from)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let started = false;
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      if (!started) {
        started = true;
        setTimeout(() => proc.kill('SIGKILL'), ms);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`the writer exited by itself (${code ?? signal})`));
      // A line cut by the kill was not printed whole: it was not acknowledged.
      const lines = out.split('\n');
      lines.pop();
      resolve(lines.map(Number));
    });
  });
}

/** Checks the store against the acknowledged writes: each key at least as new, and whole. */
function verify(dataDir, acked, attempted) {
  const mp = createMiniProgram({ platform: 'wx', user: 'crash', app: 'campaign', dataDir });
  try {
    for (let k = 0; k < KEYS; k++) {
      const key = `k${k}`;
      const got = mp.wx.getStorageSync(key);
      const newest = acked.get(key);
      if (newest === undefined && got === '') continue;
      if (got === '' || typeof got !== 'object') throw new Error(`${key}: acknowledged write ${newest} lost (found ${JSON.stringify(got)})`);
      if (newest !== undefined && got.n < newest) throw new Error(`${key}: found write ${got.n}, older than acknowledged ${newest}`);
      if (got.n > attempted) throw new Error(`${key}: found write ${got.n}, never made`);
      const expected = write(got.n).value;
      // WeChat stores a nested Date as its ISO string.
      if (got.pad !== expected.pad || got.at !== expected.at.toISOString()) {
        throw new Error(`${key}: write ${got.n} came back torn`);
      }
    }
  } finally {
    mp.close();
  }
}

/** Runs `cycles` cycles; returns what it saw. Throws on the first lost or torn write. */
async function run({ cycles, seed = Date.now() % 1e9, log = () => {} }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-node-crash-'));
  let random = seed >>> 0 || 1;
  const next = () => (random = (Math.imul(random, 1103515245) + 12345) >>> 0);
  const acked = new Map();
  let from = 0;
  let total = 0;
  const started = Date.now();
  let reported = started;
  try {
    for (let c = 1; c <= cycles; c++) {
      const done = await cycle(dataDir, from, 20 + (next() % 300));
      for (const n of done) acked.set(write(n).key, n);
      total += done.length;
      // The child may have made (not acknowledged) a write past the last one it printed.
      const attempted = (done.length ? done[done.length - 1] : from - 1) + 1;
      await verify(dataDir, acked, attempted);
      from = attempted + 1;
      if (Date.now() - reported > 10_000 || c === cycles) {
        reported = Date.now();
        const rate = ((c * 1000) / (reported - started)).toFixed(1);
        log(`node crash campaign: ${c}/${cycles} cycles, ${total} acknowledged writes, ${rate} cycles/s, seed ${seed}`);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { cycles, acknowledged: total, seed };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1], Number(args[2]));
  } else {
    const flag = (name, fallback) => {
      const i = args.indexOf(`--${name}`);
      return i === -1 ? fallback : Number(args[i + 1]);
    };
    run({ cycles: flag('cycles', 100), seed: flag('seed', undefined), log: console.log }).then(
      (r) => console.log(`ok: ${r.cycles} cycles, ${r.acknowledged} acknowledged writes, none lost or torn (seed ${r.seed})`),
      (e) => {
        console.error(`node crash campaign failed: ${e.message}`);
        process.exit(1);
      },
    );
  }
}

module.exports = { run };
