// The vitest preset: `test: {setupFiles: ['mpstore-node/vitest']}`. Configuration:
// `test.provide: {mpstore: {platform, user, app, scope, reset, globals}}`, else
// `define: {__MPSTORE__: ...}` (vitest puts defines on globalThis), else the MPSTORE_* environment
// variables (`test.env` sets them), see core.js. vitest runs setup files before each test file.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';

// Node's own require: core.js and the engine are CommonJS, loaded once per worker, untransformed.
const { start } = createRequire(import.meta.url)('./core.js');

const session = start(inject('mpstore'));
beforeAll(session.beforeAll);
beforeEach(session.beforeEach);
afterAll(session.afterAll);
