'use strict';
// The mini-game APIs that register a listener (`wx.onInteractiveStorageModified`): the engine's
// table marks them (`listener`, `firedBy`); the listeners live here, per store, game and player,
// and are called with the `key` of each success of the API that fires them, after its `success`
// callback and before its `complete`. Both engines share this code.

/**
 * Installs the listener APIs of `dialect` on `api`, kept in `registry` (a Map shared by every
 * program on the same store), for the player `who` ({game, openid}).
 */
function install(api, dialect, registry, who) {
  for (const { name, listener, firedBy } of dialect.apis) {
    if (!listener || !(name in api)) continue;
    const id = JSON.stringify([dialect.name, name, who.game, who.openid]);
    api[name] = function (callback) {
      if (typeof callback !== 'function') throw new TypeError(`${name}: the callback must be a function`);
      let callbacks = registry.get(id);
      if (!callbacks) registry.set(id, (callbacks = new Set()));
      callbacks.add(callback);
    };
    const call = api[firedBy];
    if (typeof call !== 'function') continue;
    api[firedBy] = function (options) {
      const given = options !== null && typeof options === 'object';
      const { key, success } = given ? options : {};
      const notify = () => {
        for (const callback of [...(registry.get(id) ?? [])]) callback(key);
      };
      return call({
        ...(given ? options : {}),
        success(res) {
          try {
            if (typeof success === 'function') success(res);
          } finally {
            notify();
          }
        },
      });
    };
  }
}

module.exports = { install };
