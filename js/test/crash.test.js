'use strict';
// The Node kill -9 campaign (crash/campaign.js) in the test run: 10 cycles by default,
// MPSTORE_CRASH_CYCLES in the long run and in `cargo xtask crash`.
const { test } = require('node:test');
const { run } = require('../crash/campaign');

if ((process.env.MPSTORE_ENGINE ?? 'addon') === 'addon') {
  test('no acknowledged durable write is lost or torn when the process is killed with SIGKILL', async (t) => {
    const cycles = Number(process.env.MPSTORE_CRASH_CYCLES ?? 10);
    const seen = await run({ cycles, log: (line) => t.diagnostic(line) });
    t.diagnostic(`${seen.acknowledged} acknowledged writes over ${seen.cycles} cycles (seed ${seen.seed})`);
  });
}
