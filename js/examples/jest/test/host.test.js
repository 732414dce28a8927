// What else the preset stands up: the host globals of a device, and this file's own store.

test('the host a page expects: wx, getCurrentPages, getApp, canIUse, getSystemInfoSync', () => {
  expect(wx).toBe(mpstore.wx);
  expect(wx.canIUse('setStorage')).toBe(true);
  expect(wx.getSystemInfoSync().platform).toBe('devtools');
  expect(getCurrentPages()).toEqual([]);
  expect(getApp()).toEqual({});
});

test("the file's store: in memory, for the configured user and app", () => {
  expect(mpstore).toMatchObject({ platform: 'wx', user: 'test-user', app: 'test-app', scope: 'app', dataDir: ':memory:' });
  mpstore.as({ user: 'someone-else' }).wx.setStorageSync('cart', [{ id: 'tea', qty: 1 }]);
  expect(wx.getStorageSync('cart')).toBe(''); // isolated per user, as on a device
});
