'use strict';
// `tsc --noEmit` over our declarations and each platform's official typings. The official
// packages declare clashing globals (two `wx`, `my`, `tt`), so each is its own project.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

for (const project of ['.', 'typecheck/wx-miniprogram', 'typecheck/wx-minigame', 'typecheck/my', 'typecheck/tt']) {
  test(`tsc --noEmit -p ${project}`, () => {
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });
}
