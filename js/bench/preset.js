'use strict';
// What the test presets cost per test: a vitest and a jest file of 200 small storage-using tests
// on the preset (an in-memory store, reset before each test) against the same file on a
// hand-written Map fake of `wx`, each run R times alternately in the example projects
// (js/examples/*, which must be installed: `npm ci` there). Prints ms per test, medians.
//
//   node js/bench/preset.js [--rounds R]        (cargo xtask bench --only node runs it too)

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const at = args.indexOf('--rounds');
const ROUNDS = at >= 0 ? Number(args[at + 1]) : 7;
const TESTS = 200;

/** The body every test runs: 2 sets and 3 gets. */
const BODY = `
  wx.setStorageSync('cart', [{ id: 'tea', qty: n }]);
  wx.setStorageSync('count', n);
  expect(wx.getStorageSync('cart')[0].qty).toBe(n);
  expect(wx.getStorageSync('count')).toBe(n);
  expect(wx.getStorageSync('missing')).toBe('');`;

/** A Map standing in for wx, as developers hand-write it (values through JSON, '' when missing). */
const FAKE = `
const store = new Map();
globalThis.wx = {
  setStorageSync: (k, v) => store.set(k, JSON.stringify(v)),
  getStorageSync: (k) => (store.has(k) ? JSON.parse(store.get(k)) : ''),
};
beforeEach(() => store.clear());`;

function file(runner, fake, count) {
  const head = runner === 'vitest' ? "import { beforeEach, expect, test } from 'vitest';\n" : '';
  const tests = Array.from({ length: count }, (_, n) => `test('t${n}', () => { const n = ${n};${BODY}\n});`).join('\n');
  return `${head}${fake ? FAKE : ''}\n${tests}\n`;
}

const RUNNERS = {
  vitest: {
    dir: path.join(__dirname, '..', 'examples', 'vitest'),
    // The fake file must not get the preset: a config of its own without setupFiles.
    run: (dir, name, fake) => ['node_modules/.bin/vitest', ['run', ...(fake ? ['--config', 'bench-fake.config.mjs'] : []), `bench/${name}`]],
    fakeConfig: ['bench-fake.config.mjs', "export default { test: {} };\n"],
  },
  jest: {
    dir: path.join(__dirname, '..', 'examples', 'jest'),
    run: (dir, name, fake) => ['node_modules/.bin/jest', [...(fake ? ['--config', '{}'] : []), '--rootDir', '.', `bench/${name}`]],
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main() {
  const addon = process.env.MPSTORE_ADDON;
  console.log(`preset cost: ${TESTS} tests per file, ${ROUNDS} rounds, ${addon ? `addon ${addon}` : 'the package\'s own addon'}`);
  for (const [name, r] of Object.entries(RUNNERS)) {
    const bench = path.join(r.dir, 'bench');
    fs.mkdirSync(bench, { recursive: true });
    if (r.fakeConfig) fs.writeFileSync(path.join(r.dir, r.fakeConfig[0]), r.fakeConfig[1]);
    const ext = name === 'vitest' ? 'mjs' : 'js';
    // A file of one test too: the difference is what each further test costs, without the
    // runner's and the file's fixed costs.
    const kinds = ['preset', 'fake', 'preset1', 'fake1'];
    for (const kind of kinds) {
      fs.writeFileSync(path.join(bench, `${kind}.test.${ext}`), file(name, kind.startsWith('fake'), kind.endsWith('1') ? 1 : TESTS));
    }
    const times = Object.fromEntries(kinds.map((k) => [k, []]));
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        for (const kind of round % 2 ? [...kinds].reverse() : kinds) {
          const [cmd, argv] = r.run(r.dir, `${kind}.test.${ext}`, kind.startsWith('fake'));
          const started = process.hrtime.bigint();
          const done = spawnSync(cmd, argv, { cwd: r.dir, encoding: 'utf8' });
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          if (done.status !== 0) throw new Error(`${name} ${kind} failed:\n${done.stdout}\n${done.stderr}`);
          if (round > 0) times[kind].push(ms); // round 0 warms the runner's caches
        }
      }
    } finally {
      fs.rmSync(bench, { recursive: true, force: true });
      if (r.fakeConfig) fs.rmSync(path.join(r.dir, r.fakeConfig[0]), { force: true });
    }
    const m = Object.fromEntries(kinds.map((k) => [k, median(times[k])]));
    const perTest = (m.preset - m.preset1 - (m.fake - m.fake1)) / (TESTS - 1);
    console.log(
      `${name}: ${TESTS} tests ${m.preset.toFixed(0)} ms with the preset, ${m.fake.toFixed(0)} ms on the fake; ` +
        `each further test adds ${perTest.toFixed(2)} ms; the file's store adds ${(m.preset1 - m.fake1).toFixed(0)} ms once`,
    );
  }
}

main();
