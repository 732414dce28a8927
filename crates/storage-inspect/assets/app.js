// The inspector's page. Every stored key and value reaches the document as text (textContent;
// no markup is ever parsed), so nothing a mini-program stored can run here.
'use strict';

const token = new URLSearchParams(location.search).get('token') || '';
const PAGE = 50;
const TYPES = ['String', 'Number', 'Boolean', 'Object', 'Array', 'Date', 'Null', 'Undefined'];
const state = {
  dialect: document.body.dataset.dialect,
  overview: null,
  selected: null, // {kind: 'local'|'player'|'game', ns?, game?}
  offset: 0,
  q: '',
  type: '',
  sortKey: '',
  busy: false,
  again: false,
};

// ---- small helpers ----

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'data') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

async function api(path, options = {}) {
  const headers = { 'x-mpstore-token': token };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: options.method || 'GET', headers, body: options.body });
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  return q.toString();
}

function status(text, failed) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = failed ? 'fail' : 'ok';
}

function cloudDialect() {
  return state.dialect === 'tt' ? 'tt' : 'wx';
}

function nsLabel(ns) {
  if (ns.kind === 'local') {
    const scope = typeof ns.scope === 'string' ? ns.scope : `plugin ${ns.scope.plugin}`;
    return `${ns.user} · ${ns.app} · ${scope}`;
  }
  return `${ns.game} · ${ns.openid}`;
}

function sameNs(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function bar(used, limit) {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  const b = el('div', { class: 'bar' + (share >= 1 ? ' full' : share > 0.8 ? ' warn' : '') }, el('span'));
  b.firstChild.style.width = `${(share * 100).toFixed(2)}%`;
  return b;
}

// ---- values: tagged JSON (docs/bridge.md) as a tree ----

function scalar(cls, text) {
  return el('span', { class: cls, text });
}

function renderValue(v, depth = 0) {
  if (v === null) return scalar('t-null', 'null');
  if (typeof v === 'boolean') return scalar('t-bool', String(v));
  if (typeof v === 'number') return scalar('t-number', Object.is(v, -0) ? '-0' : String(v));
  if (typeof v === 'string') return scalar('t-string', JSON.stringify(v));
  if (Array.isArray(v)) return tree(`Array(${v.length})`, v.map((item, i) => [String(i), item]), depth);
  const tag = v.$js;
  if (tag === 'undefined') return scalar('t-undefined', 'undefined');
  if (tag === 'number') return scalar('t-number', String(v.value));
  if (tag === 'date') {
    const d = new Date(v.value === 'NaN' ? NaN : v.value);
    return scalar('t-date', Number.isNaN(d.getTime()) ? 'Date(Invalid Date)' : `Date(${d.toISOString()})`);
  }
  if (tag === 'string') return scalar('t-string', JSON.stringify(String.fromCharCode(...v.utf16)));
  const entries = tag === 'object' ? v.entries.map(([k, item]) => [typeof k === 'string' ? k : String.fromCharCode(...k.utf16), item]) : Object.entries(v);
  return tree(`Object {${entries.length}}`, entries, depth);
}

function tree(summary, entries, depth) {
  if (entries.length === 0) return scalar('t-null', summary.startsWith('Array') ? '[]' : '{}');
  const list = el('ul', { class: 'tree' });
  for (const [k, item] of entries) list.append(el('li', {}, el('span', { class: 'label', text: `${k}: ` }), renderValue(item, depth + 1)));
  const d = el('details', {}, el('summary', { text: summary }), list);
  if (depth === 0 && entries.length <= 8) d.open = true;
  return d;
}

// ---- the namespace list ----

function renderNav() {
  const nav = document.getElementById('namespaces');
  const o = state.overview;
  nav.replaceChildren();
  nav.append(el('h2', { text: `Local storage (${o.local.length})` }));
  if (o.local.length === 0) nav.append(el('p', { class: 'hint', text: '  none yet' }));
  for (const n of o.local) {
    const selected = state.selected && state.selected.kind === 'local' && sameNs(state.selected.ns, n.ns);
    nav.append(el('button', {
      class: 'ns' + (selected ? ' selected' : ''), type: 'button', data: { ns: JSON.stringify(n.ns) },
      onclick: () => select({ kind: 'local', ns: n.ns }),
    }, el('span', { class: 'name', text: nsLabel(n.ns) }),
    el('span', { class: 'usage', text: `${n.entries} keys · ${n.bytes} / ${n.quota} ${o.unit}` }),
    bar(n.bytes, n.quota)));
  }
  nav.append(el('h2', { text: `Game cloud data (${o.games.length})` }));
  for (const g of o.games) {
    const selected = state.selected && state.selected.kind === 'game' && state.selected.game === g.game;
    nav.append(el('button', {
      class: 'ns' + (selected ? ' selected' : ''), type: 'button', data: { game: g.game },
      onclick: () => select({ kind: 'game', game: g.game }),
    }, el('span', { class: 'name', text: `${g.game} — leaderboard` }), el('span', { class: 'usage', text: `${g.players.length} players` })));
    for (const p of g.players) {
      const sel = state.selected && state.selected.kind === 'player' && sameNs(state.selected.ns, p.ns);
      nav.append(el('button', {
        class: 'ns player' + (sel ? ' selected' : ''), type: 'button', data: { ns: JSON.stringify(p.ns) },
        onclick: () => select({ kind: 'player', ns: p.ns, game: g.game }),
      }, el('span', { class: 'name', text: p.openid }),
      el('span', { class: 'usage', text: `${p.entries} / ${p.quota} pairs` }), bar(p.entries, p.quota)));
    }
  }
}

function select(sel) {
  state.selected = sel;
  state.offset = 0;
  state.q = '';
  state.type = '';
  refresh();
}

// ---- one namespace ----

async function renderEntries(detail) {
  const sel = state.selected;
  const dialect = sel.kind === 'player' ? cloudDialect() : state.dialect;
  const page = await api(`api/entries?${query({ ns: JSON.stringify(sel.ns), dialect, offset: state.offset, limit: PAGE, q: state.q, type: state.type })}`);
  const info = (sel.kind === 'local' ? state.overview.local : state.overview.games.flatMap((g) => g.players)).find((n) => sameNs(n.ns, sel.ns));
  detail.append(el('h2', { text: nsLabel(sel.ns) }));
  if (info) {
    const used = sel.kind === 'local' ? `${info.bytes} / ${info.quota} ${state.overview.unit}` : `${info.entries} / ${info.quota} pairs`;
    detail.append(el('div', { class: 'usage', text: `${page.total} keys · ${used} (${dialect})` }), bar(sel.kind === 'local' ? info.bytes : info.entries, info.quota));
  }
  const search = el('input', { type: 'search', id: 'search', placeholder: 'Search keys and values', value: state.q });
  search.addEventListener('input', debounce(() => { state.q = search.value; state.offset = 0; refresh(); }, 200));
  const filter = el('select', { id: 'type-filter', onchange: (e) => { state.type = e.target.value; state.offset = 0; refresh(); } },
    el('option', { value: '', text: 'All types' }), ...TYPES.map((t) => el('option', { value: t, text: t })));
  filter.value = state.type;
  const clear = el('button', { id: 'clear-ns', type: 'button', class: 'danger', onclick: () => clearNs(sel) }, sel.kind === 'local' ? 'Clear' : 'Remove all');
  const exp = el('button', { id: 'export-ns', type: 'button', onclick: () => exportDump(sel.ns) }, 'Export');
  detail.append(el('div', { class: 'tools' }, search, filter, clear, exp));

  const body = el('tbody');
  page.entries.forEach((e, i) => {
    body.append(el('tr', { data: { key: e.key } },
      el('td', { class: 'num', text: String(page.offset + i + 1) }),
      el('td', { class: 'key', text: e.key }),
      el('td', {}, el('span', { class: 'badge', text: e.type }), e.encrypt ? el('span', { class: 'badge', text: 'encrypt' }) : null),
      el('td', { class: 'value' }, renderValue(e.value)),
      el('td', { class: 'num', text: String(e.size) }),
      el('td', { class: 'actions' },
        el('button', { type: 'button', class: 'edit', onclick: () => edit(e) }, 'Edit'),
        el('button', { type: 'button', class: 'delete danger', onclick: () => remove(sel, e.key) }, 'Delete'))));
  });
  detail.append(el('table', { id: 'entries' },
    el('thead', {}, el('tr', {}, ...['#', 'Key', 'Type', 'Value', `Size (${page.unit})`, ''].map((h) => el('th', { text: h })))), body));
  const last = Math.min(page.offset + page.entries.length, page.matched);
  const shown = page.matched === 0 ? 'nothing' : `${page.offset + 1}–${last} of ${page.matched}`;
  detail.append(el('div', { class: 'pager' },
    el('button', { id: 'prev', type: 'button', onclick: () => { state.offset = Math.max(0, state.offset - PAGE); refresh(); } }, '‹ Prev'),
    el('span', { id: 'page-info', text: shown + (page.matched !== page.total ? ` (matching, of ${page.total})` : '') }),
    el('button', { id: 'next', type: 'button', onclick: () => { if (last < page.matched) { state.offset += PAGE; refresh(); } } }, 'Next ›')));
  detail.append(editor(sel));
  if (sel.kind === 'player') await renderLeaderboard(detail, sel.game);
}

function editor(sel) {
  const key = el('input', { type: 'text', id: 'edit-key', placeholder: 'key' });
  const value = el('textarea', { id: 'edit-value', rows: '4', spellcheck: 'false', placeholder: sel.kind === 'local' ? 'a value as JSON (tagged: {"$js":"undefined"}, {"$js":"date","value":0}…)' : 'the value (a string)' });
  const asText = el('input', { type: 'checkbox', id: 'edit-text' });
  if (sel.kind === 'player') asText.checked = true;
  const form = el('form', { id: 'editor' },
    el('fieldset', {}, el('legend', { text: 'Add or edit' }), el('div', { class: 'row' }, key,
      el('label', {}, asText, ' store as text'), el('button', { type: 'submit', id: 'save' }, 'Save')), value));
  form.addEventListener('submit', (e) => { e.preventDefault(); save(sel, key.value, value.value, asText.checked); });
  return form;
}

function edit(entry) {
  document.getElementById('edit-key').value = entry.key;
  const text = typeof entry.value === 'string' && state.selected.kind === 'player';
  document.getElementById('edit-text').checked = text;
  document.getElementById('edit-value').value = text ? entry.value : JSON.stringify(entry.value, null, 2);
  document.getElementById('edit-value').focus();
}

// ---- edits: each one API call, as the mini-program would make it ----

async function call(ns, dialect, name, args) {
  try {
    const r = await api('api/call', { method: 'POST', body: JSON.stringify({ ns, dialect, api: name, args }) });
    status(`${dialect}.${name} → ${r.ending}: ${JSON.stringify(r.result)}`, r.failed);
    return r;
  } catch (err) {
    status(`${dialect}.${name}: ${err.message}`, true);
    return null;
  }
}

async function save(sel, key, text, asText) {
  let value = text;
  if (!asText) {
    try { value = JSON.parse(text); } catch (err) { status(`not JSON: ${err.message} (tick "store as text" to store it as a string)`, true); return; }
  }
  if (sel.kind === 'local') await call(sel.ns, state.dialect, 'setStorage', [{ key, data: value }]);
  else await call(sel.ns, cloudDialect(), 'setUserCloudStorage', [{ KVDataList: [{ key, value: typeof value === 'string' ? value : JSON.stringify(value) }] }]);
  refresh();
}

async function remove(sel, key) {
  if (sel.kind === 'local') await call(sel.ns, state.dialect, 'removeStorage', [{ key }]);
  else await call(sel.ns, cloudDialect(), 'removeUserCloudStorage', [{ keyList: [key] }]);
  refresh();
}

async function clearNs(sel) {
  if (sel.kind === 'local') await call(sel.ns, state.dialect, 'clearStorage', [{}]);
  else {
    const page = await api(`api/entries?${query({ ns: JSON.stringify(sel.ns), limit: 500 })}`);
    await call(sel.ns, cloudDialect(), 'removeUserCloudStorage', [{ keyList: page.entries.map((e) => e.key) }]);
  }
  refresh();
}

// ---- game cloud data: the leaderboard ----

async function renderLeaderboard(detail, game) {
  const board = await api(`api/leaderboard?${query({ game, dialect: cloudDialect(), sortKey: state.sortKey })}`);
  const pick = el('select', { id: 'sort-key', onchange: (e) => { state.sortKey = e.target.value; refresh(); } },
    ...board.leaderboardKeys.map((k) => el('option', { value: k, text: k })));
  if (board.sortKey) pick.value = board.sortKey;
  const body = el('tbody');
  board.players.forEach((p, i) => body.append(el('tr', { data: { openid: p.openid } },
    el('td', { class: 'num', text: p.score === null ? '–' : String(i + 1) }),
    el('td', { class: 'key', text: p.openid }),
    el('td', { text: p.nickname }),
    el('td', { class: 'num', text: p.score === null ? '' : String(p.score) }),
    el('td', { class: 'num', text: p.updateTime === null ? '' : String(p.updateTime) }),
    el('td', { class: 'value' }, renderValue(Object.fromEntries(p.KVDataList.map((kv) => [kv.key, kv.value])))))));
  detail.append(el('fieldset', { id: 'leaderboard' }, el('legend', { text: `Leaderboard of ${game} (${board.platform})` }),
    el('div', { class: 'row' }, el('label', {}, 'Ranked by ', pick),
      board.leaderboardKeys.length === 0 ? el('span', { class: 'hint', text: 'no leaderboard keys set for this game' }) : null),
    el('table', {}, el('thead', {}, el('tr', {}, ...['Rank', 'openid', 'Nickname', 'Score', 'update_time', 'KVDataList'].map((h) => el('th', { text: h })))), body)));
}

// ---- export and import ----

async function exportDump(ns) {
  try {
    const dump = await api(`api/export?${query({ ns: ns ? JSON.stringify(ns) : '' })}`);
    const text = JSON.stringify(dump, null, 2);
    const panel = document.getElementById('transfer');
    panel.hidden = false;
    document.getElementById('transfer-text').value = text;
    const link = document.getElementById('transfer-download');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    link.hidden = false;
    status(`exported ${dump.namespaces.length} namespace(s)`, false);
  } catch (err) {
    status(`export: ${err.message}`, true);
  }
}

async function importDump() {
  const text = document.getElementById('transfer-text').value;
  try {
    JSON.parse(text);
  } catch (err) {
    status(`import: not JSON: ${err.message}`, true);
    return;
  }
  try {
    const r = await api(`api/import?${query({ dialect: state.dialect })}`, { method: 'POST', body: text });
    status(`imported ${r.namespaces} namespace(s)`, false);
  } catch (err) {
    status(`import: ${err.message}`, true);
  }
  refresh();
}

// ---- refreshing: on a choice, and whenever the store changes ----

function debounce(f, ms) {
  let t;
  return () => { clearTimeout(t); t = setTimeout(f, ms); };
}

async function refresh() {
  if (state.busy) { state.again = true; return; }
  state.busy = true;
  try {
    do {
      state.again = false;
      await render();
    } while (state.again);
  } finally {
    state.busy = false;
  }
}

async function render() {
  state.overview = await api(`api/namespaces?${query({ dialect: state.dialect })}`);
  const next = el('section', { id: 'detail' });
  const sel = state.selected;
  if (!sel) next.append(el('p', { class: 'hint', text: 'Pick a namespace on the left.' }));
  else if (sel.kind === 'game') {
    next.append(el('h2', { text: sel.game }));
    await renderLeaderboard(next, sel.game);
  } else await renderEntries(next);
  // From here on nothing waits: what the person typed meanwhile is carried over whole.
  renderNav();
  const focused = document.activeElement && document.activeElement.id;
  const kept = keepEditor();
  document.getElementById('detail').replaceWith(next);
  restoreEditor(kept, focused);
}

// What the person is typing survives a live refresh.
function keepEditor() {
  const ids = ['edit-key', 'edit-value', 'edit-text', 'search'];
  return Object.fromEntries(ids.map((id) => document.getElementById(id)).filter(Boolean).map((n) => [n.id, n.type === 'checkbox' ? n.checked : n.value]));
}

function restoreEditor(kept, focused) {
  for (const [id, v] of Object.entries(kept)) {
    const n = document.getElementById(id);
    if (!n) continue;
    if (n.type === 'checkbox') n.checked = v;
    else n.value = v;
  }
  if (focused) {
    const n = document.getElementById(focused);
    if (n) n.focus();
  }
}

function listen() {
  const live = document.getElementById('live');
  const events = new EventSource(`api/events?${query({ token })}`);
  events.addEventListener('change', (e) => {
    live.textContent = `live · ${e.data} writes`;
    live.classList.remove('off');
    live.dataset.changes = e.data;
    refresh();
  });
  events.onerror = () => { live.textContent = 'disconnected'; live.classList.add('off'); };
}

function start() {
  const pick = document.getElementById('dialect');
  pick.addEventListener('change', () => { state.dialect = pick.value; refresh(); });
  document.getElementById('export-all').addEventListener('click', () => exportDump(null));
  document.getElementById('transfer-toggle').addEventListener('click', () => {
    const panel = document.getElementById('transfer');
    panel.hidden = !panel.hidden;
  });
  document.getElementById('import').addEventListener('click', importDump);
  document.getElementById('transfer-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (file) document.getElementById('transfer-text').value = await file.text();
  });
  api(`api/namespaces?${query({ dialect: state.dialect })}`).then((o) => {
    for (const d of o.dialects) pick.append(el('option', { value: d, text: d }));
    pick.value = state.dialect;
  }).catch((err) => status(err.message, true));
  listen();
  refresh();
}

start();
