// The cart page on the vitest preset: `wx` is mpstore's, as on a device; `mpstore` is the test
// file's store (seed, dump), emptied before each test.
import { expect, test, vi } from 'vitest';
import cart from '../pages/cart.js';

/** The page as Page() would make it: its own data, and setData. */
function openPage(page = cart) {
  const instance = { ...page, data: { ...page.data }, setData(patch) { Object.assign(this.data, patch); } };
  instance.onLoad();
  return instance;
}

test('an empty cart: WeChat answers "" for a key never stored', () => {
  expect(wx.getStorageSync('cart')).toBe('');
  const page = openPage();
  expect(page.data).toEqual({ items: [], count: 0, error: '' });
});

test('added items survive a reload of the page module', async () => {
  const page = openPage();
  await page.addItem({ id: 'tea', name: '龙井', qty: 2 });
  await page.addItem({ id: 'cup', name: '茶杯' });
  vi.resetModules(); // the mini-program is relaunched: the module is evaluated again
  const { default: reloaded } = await import('../pages/cart.js');
  expect(reloaded).not.toBe(cart);
  const again = openPage(reloaded);
  expect(again.data.count).toBe(3);
  expect(again.data.items.map((line) => line.id)).toEqual(['tea', 'cup']);
});

test('a cart seeded before the page loads', () => {
  mpstore.host.seed({ cart: [{ id: 'tea', name: '龙井', qty: 5, note: '' }] });
  expect(openPage().data.count).toBe(5);
});

test('each test starts from an empty store', () => {
  expect(wx.getStorageInfoSync().keys).toEqual([]);
  expect(mpstore.host.dump().namespaces).toEqual([]);
});

test('the dump shows exactly what the page stored', async () => {
  await openPage().addItem({ id: 'tea', name: '龙井', note: '少糖' });
  const [ns] = mpstore.host.dump('this').namespaces;
  expect(ns).toMatchObject({ kind: 'local', user: 'test-user', app: 'test-app', scope: 'app', entries: 1 });
  expect(ns.data).toEqual([{ key: 'cart', value: [{ id: 'tea', name: '龙井', qty: 1, note: '少糖' }] }]);
});

test('a full storage: setStorage fails, the page shows an error and keeps the cart', async () => {
  const page = openPage();
  await page.addItem({ id: 'tea', name: '龙井' });
  const photos = {};
  for (let i = 0; i < 10; i += 1) photos[`photo${i}`] = 'x'.repeat(1_048_000); // 10 MB per user and app
  mpstore.host.seed(photos);
  expect(await page.addItem({ id: 'cup', name: '茶杯', note: 'x'.repeat(8_000) })).toBe(false);
  expect(page.data.error).toMatch(/setStorage:fail quota reached/);
  expect(page.data.count).toBe(1);
  expect(wx.getStorageSync('cart')).toEqual([{ id: 'tea', name: '龙井', qty: 1, note: '' }]);
});
