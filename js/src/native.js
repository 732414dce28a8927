'use strict';
// Loads the native addon (the mpstore engine, built from crates/mpstore-node):
// $MPSTORE_ADDON, else the file beside this package (`mpstore.<platform>.node`, put there by
// `cargo xtask node-package` or a local build), else the platform package installed as an
// optional dependency (`mpstore-node-linux-x64-gnu`), else the workspace's own build.

const fs = require('node:fs');
const path = require('node:path');

/** The platform triple of this process, as napi-rs names prebuilt packages. */
function triple() {
  const libc = process.platform === 'linux' ? (process.report?.getReport?.().header?.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  return `${process.platform}-${process.arch}${libc}`;
}

let loaded = null;

/** Loads a native module from any file name (Node's require wants `.node`). */
function dlopen(file) {
  const module = { exports: {} };
  process.dlopen(module, path.resolve(file));
  return module.exports;
}

function load() {
  if (loaded) return loaded;
  const name = `mpstore.${triple()}.node`;
  const candidates = [];
  if (process.env.MPSTORE_ADDON) candidates.push(process.env.MPSTORE_ADDON);
  candidates.push(path.join(__dirname, '..', name));
  for (const file of candidates) {
    if (fs.existsSync(file)) return (loaded = dlopen(file));
  }
  try {
    return (loaded = require(`mpstore-node-${triple()}`));
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
  }
  for (const profile of ['debug', 'release']) {
    const built = path.join(__dirname, '..', '..', 'target', profile, 'libmpstore_node.so');
    if (fs.existsSync(built)) return (loaded = dlopen(built));
  }
  const err = new Error(
    `mpstore-node: no native engine for ${triple()}: install the package with its optional dependencies, ` +
      "or pass engine: 'bridge' (see README)",
  );
  err.code = 'MPSTORE_NO_ENGINE';
  throw err;
}

module.exports = { load, triple };
