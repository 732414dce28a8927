'use strict';
// Part of the install test (`cargo xtask node-install-test`): in a fresh project where the
// packed packages were installed with no Rust toolchain, the engine must be the prebuilt addon
// of the platform package. The seeds' examples then run there (test/seeds.test.js, requiring
// 'mpstore-node').

const assert = require('node:assert/strict');

const platformPackage = require.resolve('mpstore-node-linux-x64-gnu');
assert.ok(platformPackage.includes('node_modules'), platformPackage);
assert.equal(require('mpstore-node/src/native').load(), require('mpstore-node-linux-x64-gnu'));
process.stdout.write('ok - the engine is the platform package\n');
