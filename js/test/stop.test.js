'use strict';
// A Node process holding a buffered store, stopped by SIGTERM, SIGINT or SIGHUP right after its
// writes returned: the writes are in the store when it is reopened, and the process still ends
// as the signal ends it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMiniProgram } = require('..');

const WRITES = 500;

const child = (dataDir) => `
  const { createMiniProgram } = require(${JSON.stringify(path.join(__dirname, '..'))});
  const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir: ${JSON.stringify(dataDir)}, durability: 'buffered', engine: 'addon' });
  for (let i = 0; i < ${WRITES}; i++) mp.wx.setStorageSync('k' + i, i);
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
`;

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  test(`${signal} flushes a buffered store before the process ends`, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-stop-'));
    try {
      const proc = spawn(process.execPath, ['-e', child(dataDir)], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
      await new Promise((resolve, reject) => {
        proc.stdout.on('data', (d) => String(d).includes('ready') && resolve());
        proc.on('exit', (code) => reject(new Error(`exited early: ${code}`)));
      });
      const ended = new Promise((resolve) => proc.on('exit', (code, sig) => resolve(sig)));
      proc.kill(signal);
      assert.equal(await ended, signal, 'the process ends as the signal ends it');
      const mp = createMiniProgram({ platform: 'wx', user: 'u', app: 'a', dataDir, engine: 'addon' });
      for (let i = 0; i < WRITES; i++) assert.equal(mp.wx.getStorageSync(`k${i}`), i, `k${i}`);
      await mp.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
