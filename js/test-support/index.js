'use strict';
// What the tests share: outside test/, which node --test runs file by file.
const assert = require('node:assert/strict');

/** The failure of a Promise-form call. */
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a failure');
}

module.exports = { failure };
