// pages/cart.js: a shopping-cart page as a mini-program writes it. On a device the file ends with
// `Page(cart)`, which adds `setData`; the tests do that part themselves (see test/cart.test.js).
// The cart lives in storage under 'cart': an array of {id, name, qty, note}.
const KEY = 'cart';

const cart = {
  data: { items: [], count: 0, error: '' },

  onLoad() {
    const stored = wx.getStorageSync(KEY); // '' when nothing is stored (WeChat)
    this.show(Array.isArray(stored) ? stored : []);
  },

  /** Adds `qty` of a product; resolves true once the cart is stored, false when the error is shown. */
  addItem({ id, name, qty = 1, note = '' }) {
    const items = this.data.items.map((line) => ({ ...line }));
    const line = items.find((l) => l.id === id);
    if (line) line.qty += qty;
    else items.push({ id, name, qty, note });
    return new Promise((resolve) => {
      wx.setStorage({
        key: KEY,
        data: items,
        success: () => {
          this.show(items);
          resolve(true);
        },
        // The storage is full (10 MB per user and app) or the cart is over 1 MB: keep what was
        // shown, and say so.
        fail: (err) => {
          this.setData({ error: `购物车保存失败：${err.errMsg}` });
          resolve(false);
        },
      });
    });
  },

  show(items) {
    this.setData({ items, count: items.reduce((n, l) => n + l.qty, 0), error: '' });
  },
};

module.exports = cart;
