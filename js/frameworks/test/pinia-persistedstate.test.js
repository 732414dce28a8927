'use strict';
// pinia-plugin-persistedstate (with pinia and vue, all ESM, loaded with import()) persisting a
// store through a storage adapter over `wx.getStorageSync` / `wx.setStorageSync` (the usual
// uni-app / Taro setup), on a store in a temporary directory: after a "restart" (the program
// closed, createMiniProgram again on the same dataDir, a new pinia) the store rehydrates.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createMiniProgram, installGlobals } = require('../..');

let dataDir;
let vue;
let pinia;
let persistedState;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpstore-pinia-'));
  vue = await import('vue');
  pinia = await import('pinia');
  persistedState = await import('pinia-plugin-persistedstate');
});

after(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const useCart = () =>
  pinia.defineStore('cart', {
    state: () => ({ items: [], total: 0, updatedAt: null }),
    actions: {
      add(name, price) {
        this.items.push({ name, price });
        this.total += price;
        this.updatedAt = '2024-05-01T08:00:00.000Z';
      },
    },
    persist: { pick: ['items', 'total'] },
  });

/** One launch of the mini-program: the host, a Vue app with a fresh pinia, the store. */
function launch() {
  const mp = createMiniProgram({ platform: 'wx', user: 'wx-user', app: 'wx-app', dataDir });
  const uninstall = installGlobals(mp);
  const app = vue.createApp({});
  const store = pinia.createPinia();
  // The adapter passes wx's functions as they are (unbound), as apps write it.
  store.use(persistedState.createPersistedState({ storage: { getItem: wx.getStorageSync, setItem: wx.setStorageSync } }));
  app.use(store);
  return { mp, wx: mp.wx, cart: useCart()(store), stop: async () => (uninstall(), await mp.close()) };
}

test('a persisted store rehydrates from wx storage after a restart', async () => {
  let run = launch();
  assert.deepEqual(run.cart.items, []);
  assert.equal(run.wx.getStorageSync('cart'), '');
  run.cart.add('apple', 3);
  run.cart.add('pear', 2);
  await vue.nextTick();
  assert.equal(run.wx.getStorageSync('cart'), JSON.stringify({ items: [{ name: 'apple', price: 3 }, { name: 'pear', price: 2 }], total: 5 }));
  assert.equal(run.cart.updatedAt, '2024-05-01T08:00:00.000Z');
  await run.stop();

  run = launch();
  assert.deepEqual(run.cart.items, [{ name: 'apple', price: 3 }, { name: 'pear', price: 2 }]);
  assert.equal(run.cart.total, 5);
  assert.equal(run.cart.updatedAt, null, 'not picked, so not persisted');
  run.cart.$reset();
  await vue.nextTick();
  assert.equal(run.wx.getStorageSync('cart'), JSON.stringify({ items: [], total: 0 }));
  await run.stop();

  run = launch();
  assert.deepEqual(run.cart.items, []);
  assert.deepEqual(run.wx.getStorageInfoSync().keys, ['cart']);
  await run.stop();
});
