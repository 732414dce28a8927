'use strict';
// The jest preset: `setupFilesAfterEnv: ['mpstore-node/jest']`. Configuration: jest's
// `globals: {__MPSTORE__: {platform, user, app, scope, reset, globals}}`, else the MPSTORE_*
// environment variables (see core.js). jest runs this file once per test file, in the file's
// own context, with beforeAll / beforeEach / afterAll as globals.

const { start } = require('./core');

const session = start();
beforeAll(session.beforeAll);
beforeEach(session.beforeEach);
afterAll(session.afterAll);
