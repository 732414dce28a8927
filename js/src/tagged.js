'use strict';
// The bridge's type-tagged JSON (docs/bridge.md, "Values"): JSON in which what JSON cannot
// carry (undefined, Dates, NaN, the infinities, -0, strings with lone surrogates) travels as an
// object tagged with the key "$js", and a user object that itself holds "$js" travels escaped.

const TAG = '$js';

/**
 * Sets an own property, even `__proto__` (plain assignment would change the prototype).
 * @param {Record<string, unknown>} obj @param {string} key @param {unknown} value
 */
function define(obj, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** @param {unknown} n */
function encodeNumber(n) {
  if (Number.isNaN(n)) return { [TAG]: 'number', value: 'NaN' };
  if (n === Infinity) return { [TAG]: 'number', value: 'Infinity' };
  if (n === -Infinity) return { [TAG]: 'number', value: '-Infinity' };
  if (Object.is(n, -0)) return { [TAG]: 'number', value: '-0' };
  return n;
}

/** @param {string} s */
function encodeString(s) {
  if (s.isWellFormed()) return s;
  const units = new Array(s.length);
  for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
  return { [TAG]: 'string', utf16: units };
}

/**
 * A JavaScript value as tagged JSON, following JSON.stringify's rules for what it cannot store:
 * `toJSON` is honoured (except on Dates, which are stored as Dates), functions and symbols are
 * left out of objects and become `null` in arrays (`undefined` at the top), boxed primitives are
 * unboxed, BigInts and cycles throw a TypeError, as JSON.stringify throws.
 *
 * @param {unknown} value
 * @param {unknown[]} [stack] the objects being encoded, to refuse cycles
 * @returns {unknown}
 */
function encode(value, stack = []) {
  switch (typeof value) {
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'function':
    case 'symbol':
      return { [TAG]: 'undefined' };
    default:
      break;
  }
  if (value === null) return null;
  if (value instanceof Date) return { [TAG]: 'date', value: Number.isNaN(value.getTime()) ? 'NaN' : value.getTime() };
  if (stack.includes(value)) throw new TypeError('Converting circular structure to JSON');
  const obj = /** @type {any} */ (value);
  if (typeof obj.toJSON === 'function') return encode(obj.toJSON(''), stack);
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) return encode(obj.valueOf(), stack);
  stack.push(value);
  try {
    if (Array.isArray(obj)) {
      return obj.map((item) => {
        const t = typeof item;
        return t === 'function' || t === 'symbol' ? null : encode(item, stack);
      });
    }
    const entries = [];
    let escaped = false;
    for (const key of Object.keys(obj)) {
      const item = obj[key];
      const t = typeof item;
      if (t === 'function' || t === 'symbol') continue;
      if (key === TAG || !key.isWellFormed()) escaped = true;
      entries.push([key, encode(item, stack)]);
    }
    if (escaped) {
      return { [TAG]: 'object', entries: entries.map(([k, v]) => [encodeString(k), v]) };
    }
    const out = {};
    for (const [k, v] of entries) define(out, k, v);
    return out;
  } finally {
    stack.pop();
  }
}

/**
 * A tagged JSON value (already parsed) back as the JavaScript value it stands for.
 * @param {unknown} value
 * @returns {unknown}
 */
function decode(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const obj = /** @type {Record<string, any>} */ (value);
  if (Object.prototype.hasOwnProperty.call(obj, TAG)) {
    switch (obj[TAG]) {
      case 'undefined':
        return undefined;
      case 'number':
        return typeof obj.value === 'number' ? obj.value : obj.value === '-0' ? -0 : Number(obj.value);
      case 'date':
        return new Date(obj.value === 'NaN' ? NaN : obj.value);
      case 'string':
        return obj.utf16.map((/** @type {number} */ u) => String.fromCharCode(u)).join('');
      case 'object': {
        const out = {};
        for (const [k, v] of obj.entries) define(out, typeof k === 'string' ? k : /** @type {string} */ (decode(k)), decode(v));
        return out;
      }
      default:
        throw new TypeError(`mpstore: unknown tagged value ${JSON.stringify(obj[TAG])}`);
    }
  }
  const out = {};
  for (const key of Object.keys(obj)) define(out, key, decode(obj[key]));
  return out;
}

module.exports = { TAG, encode, decode };
