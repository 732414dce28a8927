'use strict';
// The storage inspector in a real browser (headless Chromium through puppeteer-core): the page
// that `mp.host.inspect()` serves from this process, and the one `mpstore inspect` serves. The
// test command installs Chromium; without it this file fails under CI=true.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const puppeteer = require('puppeteer-core');
const { createMiniProgram, createMiniGame, findBin } = require('..');

const ENGINE = process.env.MPSTORE_ENGINE ?? 'addon';
const ROOT = path.resolve(__dirname, '..', '..');
/** Stored markup that would run, or add an element, if the page ever parsed it. */
const XSS_KEY = '<script>window.__xss = 1</script>';
const XSS_VALUE = '"><img src=x onerror="window.__xss = 2">';
const XSS_NESTED = { html: '<img src=x onerror=window.__xss=3>', list: ['</td><b>bold</b>'] };

function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mpstore-${name}-`));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Chromium: MPSTORE_CHROMIUM, else the first of Debian's names on the PATH. */
function chromium() {
  if (process.env.MPSTORE_CHROMIUM) return process.env.MPSTORE_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

/** A headless browser, or, without Chromium, a failure under CI=true and a loud skip otherwise. */
async function browser(t) {
  const executablePath = chromium();
  if (!executablePath) {
    const why = 'Chromium not found (apt-get install chromium, or set MPSTORE_CHROMIUM)';
    if (process.env.CI === 'true') assert.fail(why);
    t.skip(why);
    return null;
  }
  const b = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => b.close());
  return b;
}

/** Clicks the namespace button whose namespace has the fields of `match`. */
async function openNamespace(page, match) {
  await page.waitForSelector('nav .ns');
  const clicked = await page.evaluate((m) => {
    for (const b of document.querySelectorAll('nav .ns[data-ns]')) {
      const ns = JSON.parse(b.dataset.ns);
      if (Object.entries(m).every(([k, v]) => ns[k] === v)) {
        b.click();
        return true;
      }
    }
    return false;
  }, match);
  assert.ok(clicked, `no namespace ${JSON.stringify(match)} listed`);
}

/** Clicks `selector` inside the page, in one step (a live refresh may replace it meanwhile). */
const press = (page, selector) => page.evaluate((sel) => document.querySelector(sel).click(), selector);
const keysShown = (page) => page.evaluate(() => [...document.querySelectorAll('#entries tbody tr')].map((r) => r.dataset.key));
const cell = (page, key, col) =>
  page.evaluate((k, c) => [...document.querySelectorAll('#entries tbody tr')].find((r) => r.dataset.key === k)?.children[c]?.textContent, key, col);

/** Waits until `f()` (in the page) is truthy. */
const until = (page, f, ...args) => page.waitForFunction(f, { timeout: 10_000 }, ...args);

/** Fills the editor and presses Save in one step (a live refresh may replace the form between
 * two steps), then answers the status line the call left. */
async function save(page, key, json) {
  await page.evaluate((k, v) => {
    document.getElementById('edit-key').value = k;
    document.getElementById('edit-value').value = v;
    document.getElementById('edit-text').checked = false;
    document.getElementById('status').textContent = '';
    document.getElementById('save').click();
  }, key, json);
  await until(page, () => document.getElementById('status').textContent !== '');
  return page.$eval('#status', (n) => n.textContent);
}

// The bridge engine holds the store in another process: there host.inspect refuses, clearly;
// the addon engine's run of this file tests the page itself.
const onAddon = ENGINE === 'addon' ? test : () => {};
if (ENGINE !== 'addon') {
  test('host.inspect on the bridge engine says it needs the addon engine', async () => {
    const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: tempDir('inspect-bridge') });
    assert.throws(() => mp.host.inspect(), { name: 'TypeError', message: "host.inspect needs the addon engine (engine: 'addon')" });
    await mp.close();
  });
}

onAddon('host.inspect: the page shows, edits, follows, exports and imports the store', async (t) => {
  const b = await browser(t);
  if (!b) return;
  const dataDir = tempDir('inspect');
  const mp = createMiniProgram({ platform: 'wx', user: 'alice', app: 'shop', dataDir });
  const tt = mp.as({ platform: 'tt', app: 'douyin-app' });
  const game = createMiniGame({ platform: 'tt', game: 'g', openid: 'p1', dataDir });
  t.after(() => Promise.all([mp.close(), tt.close(), game.close()]));
  const order = ['cart', 'since', 'nothing', 'nan', XSS_KEY, 'nested'];
  mp.host.seed({ cart: { items: 2, note: 'gift' }, since: new Date(0), nothing: undefined, nan: NaN, [XSS_KEY]: XSS_VALUE, nested: XSS_NESTED });
  tt.host.seed({ first: new Date(86_400_000), second: [1, undefined], third: 'é' });
  game.host.setLeaderboardKeys(['score']);
  for (const [openid, score] of [['p1', 5], ['p2', 9], ['p3', 7]]) {
    const value = JSON.stringify({ ttgame: { score, update_time: 1 } });
    await game.as({ openid }).tt.setUserCloudStorage({ KVDataList: [{ key: 'score', value }] });
  }

  const served = mp.host.inspect();
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  assert.equal(mp.host.inspect().url, served.url, 'a second call answers the running one');
  const page = await b.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(served.url);
  await page.evaluate(() => { window.__sameDocument = true; });

  // The keys in insertion order, typed.
  await openNamespace(page, { user: 'alice', app: 'shop' });
  await until(page, () => document.querySelectorAll('#entries tbody tr').length === 6);
  assert.deepEqual(await keysShown(page), order);
  assert.equal(await cell(page, 'since', 3), 'Date(1970-01-01T00:00:00.000Z)');
  assert.equal(await cell(page, 'nothing', 3), 'undefined');
  assert.equal(await cell(page, 'nan', 3), 'NaN');
  assert.equal(await cell(page, 'cart', 2), 'Object');
  fs.mkdirSync(path.join(ROOT, 'target'), { recursive: true });
  await page.setViewport({ width: 1280, height: 760 });
  await page.screenshot({ path: path.join(ROOT, 'target', 'inspector.png') });

  // Stored markup is text: no element made of it, nothing run.
  assert.equal(await cell(page, XSS_KEY, 1), XSS_KEY);
  assert.equal(await cell(page, XSS_KEY, 3), JSON.stringify(XSS_VALUE));
  assert.ok((await cell(page, 'nested', 3)).includes(JSON.stringify(XSS_NESTED.html)));
  assert.equal(await page.$$eval('#entries img, #entries script, #entries b', (n) => n.length), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  // An edit goes through wx.setStorage: read back by the program; a refusal is WeChat's own.
  assert.match(await save(page, 'cart', '{"items": 3}'), /setStorage:ok/);
  assert.deepEqual(mp.wx.getStorageSync('cart'), { items: 3 });
  const refused = await mp.wx.setStorage({ key: '', data: 1 }).catch((e) => e);
  const shown = await save(page, '', '1');
  assert.ok(shown.includes(refused.errMsg), `the platform failure ${refused.errMsg} in ${shown}`);

  // A write by the program appears without a reload.
  mp.wx.setStorageSync('live', 'from the program');
  await until(page, () => [...document.querySelectorAll('#entries tbody tr')].some((r) => r.dataset.key === 'live'));
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'not reloaded');

  // Export this namespace, empty it, import the export: the same entries, in order.
  await press(page, '#export-ns');
  await until(page, () => document.getElementById('transfer-text').value.includes('mpstore-dump'));
  const exported = JSON.parse(await page.$eval('#transfer-text', (n) => n.value));
  assert.deepEqual(exported, mp.host.dump('this'));
  mp.host.reset('this');
  await until(page, () => document.querySelectorAll('#entries tbody tr').length === 0);
  await press(page, '#import');
  await until(page, () => document.querySelectorAll('#entries tbody tr').length === 7);
  assert.deepEqual(await keysShown(page), [...order, 'live']);
  assert.deepEqual(mp.wx.getStorageSync('cart'), { items: 3 });

  // The other dialect: its namespace, sized in bytes once the page speaks tt.
  await page.select('#dialect', 'tt');
  await openNamespace(page, { app: 'douyin-app' });
  await until(page, () => document.querySelector('#entries tbody tr')?.dataset.key === 'first');
  assert.equal(await page.$eval('#entries th:nth-child(5)', (n) => n.textContent), 'Size (bytes)');
  assert.deepEqual(await keysShown(page), ['first', 'second', 'third']);
  assert.equal(await cell(page, 'first', 3), 'Date(1970-01-02T00:00:00.000Z)');
  assert.equal(await cell(page, 'third', 4), '7', '"third" and "é": 5 + 2 bytes');

  // A game's leaderboard, ranked.
  await press(page, 'nav .ns[data-game="g"]');
  await until(page, () => document.querySelectorAll('#leaderboard tbody tr').length === 3);
  assert.deepEqual(await page.$$eval('#leaderboard tbody tr', (r) => r.map((x) => x.dataset.openid)), ['p2', 'p3', 'p1']);

  assert.deepEqual(errors, []);
  assert.equal(served.stop(), true);
  assert.equal(served.stop(), false);
});

test('mpstore inspect: the command line serves the same page, behind its token', async (t) => {
  const b = await browser(t);
  if (!b) return;
  const dataDir = tempDir('inspect-cli');
  const bin = findBin();
  const set = spawnSync(bin, ['--data-dir', dataDir, '--platform', 'my', 'set', 'greeting', '"hi"'], { encoding: 'utf8' });
  assert.equal(set.status, 0, set.stderr);
  const child = spawn(bin, ['--data-dir', dataDir, '--platform', 'my', 'inspect'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGTERM'));
  const served = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    child.on('exit', (code) => reject(new Error(`mpstore inspect exited with ${code}`)));
  });
  const page = await b.newPage();
  const refused = await page.goto(served.url.replace(/token=.*/, 'token=0'));
  assert.equal(refused.status(), 401);
  await page.goto(served.url);
  await openNamespace(page, { user: 'user', app: 'app' });
  await until(page, () => document.querySelectorAll('#entries tbody tr').length === 1);
  assert.deepEqual(await keysShown(page), ['greeting']);
  assert.equal(await page.$eval('#dialect', (n) => n.value), 'my');
});

onAddon('host.inspect: a taken port is a coded error; closing the store stops the server', async () => {
  const mp = createMiniProgram({ platform: 'tt', user: 'u', app: 'a', dataDir: tempDir('inspect-close') });
  const other = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: tempDir('inspect-other') });
  const served = mp.host.inspect();
  const page = await fetch(served.url);
  assert.equal(page.status, 200);
  assert.equal((await fetch(served.url.replace(/\?token=.*/, ''))).status, 401);
  assert.throws(() => other.host.inspect({ port: served.port }), { code: 'MPSTORE_INSPECT_FAILED' });
  assert.throws(() => mp.host.inspect({ port: 70000 }), RangeError);
  await other.close();
  await mp.close();
  await assert.rejects(fetch(served.url), 'nothing listens once the store is closed');
});
