// `test: {setupFiles: ['mpstore-node/vitest']}`: declares the `mpstore` global for test files
// (`/// <reference types="mpstore-node/vitest" />` or tsconfig `types: ["mpstore-node/vitest"]`).
import './core.js';
export {};
