// `setupFilesAfterEnv: ['mpstore-node/jest']`: declares the `mpstore` global for test files
// (`/// <reference types="mpstore-node/jest" />` or tsconfig `types: ["mpstore-node/jest"]`).
import './core';
export {};
