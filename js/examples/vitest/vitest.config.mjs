export default { test: { setupFiles: ['mpstore-node/vitest'] } };
