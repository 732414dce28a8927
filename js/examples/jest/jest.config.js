module.exports = { setupFilesAfterEnv: ['mpstore-node/jest'] };
