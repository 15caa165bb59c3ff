/* gfi dashboards: shared helpers (token, API calls, formatting, the page
 * skeleton with its navigation, bilingual labels and tables). Plain JS, no
 * framework. Every page calls GFI.page once; it alone sets body[data-ready]
 * ("1" or "error"), which the browser test waits for. Text reaches the DOM
 * escaped (esc, bi, textContent). The token lives in sessionStorage only: it
 * is gone when the tab closes, and is sent as "Authorization: Bearer"
 * (docs/api.md). The HTML around each page is dashboards/assemble.mjs's. */
'use strict';

const GFI = (function () {
  const TOKEN_KEY = 'gfi.token';
  const TZ = 'Asia/Shanghai';

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
  function setToken(t) { sessionStorage.setItem(TOKEN_KEY, t); }
  function logout() { sessionStorage.removeItem(TOKEN_KEY); location.href = 'index.html'; }

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  /* Chinese first, English beside: 'zh <span class="en">en</span>', both
   * escaped. Takes (zh, en) or one [zh, en] pair; no English, no span. */
  function bi(zh, en) {
    if (Array.isArray(zh)) { en = zh[1]; zh = zh[0]; }
    return esc(zh) + (en ? ' <span class="en">' + esc(en) + '</span>' : '');
  }

  class ApiError extends Error {
    constructor(status, msg) { super(msg); this.status = status; }
  }

  async function request(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    const t = opts.token !== undefined ? opts.token : token();
    if (t) headers.Authorization = 'Bearer ' + t;
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const r = await fetch(path, { method: opts.method || 'GET', headers, body });
    if (r.status === 401 && opts.token === undefined) {
      logout();
      throw new ApiError(401, 'authorization');
    }
    return r;
  }

  async function api(path, opts) {
    const r = await request(path, opts);
    let d = null;
    try { d = await r.json(); } catch (e) { d = null; }
    if (!r.ok) throw new ApiError(r.status, (d && d.error) || ('HTTP ' + r.status));
    return d;
  }

  /* Numbers: at most 2 decimals, grouping commas; null shows a dash. */
  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '—';
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 2 : digits });
  }
  function pct(v) {
    if (v === null || v === undefined) return '—';
    return (v > 0 ? '+' : '') + num(v, 1) + '%';
  }
  function yoyClass(v) { return v == null ? '' : v > 0 ? 'up' : v < 0 ? 'down' : ''; }

  const dtf = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  function time(s) {
    if (s === null || s === undefined || s === 0) return '—';
    const p = {};
    dtf.formatToParts(new Date(s * 1000)).forEach(x => { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  }
  /* Current year in Asia/Shanghai. */
  function thisYear() {
    return Number(new Intl.DateTimeFormat('en-US', { timeZone: TZ, year: 'numeric' }).format(new Date()));
  }
  function param(name) { return new URLSearchParams(location.search).get(name); }
  function yearParam() {
    const y = Number(param('year'));
    return y >= 2000 && y <= 2100 ? y : thisYear();
  }

  const KIND = { factory: ['工厂', 'factory'], park: ['园区', 'park'], supply_chain: ['供应链', 'supply chain'] };
  const LEVEL = { national: ['国家级', 'national'], provincial: ['省级', 'provincial'], city: ['市级', 'city'] };
  const STATE = { open: ['未处理', 'open'], acknowledged: ['已确认', 'acknowledged'], resolved: ['已解决', 'resolved'] };
  const VERDICT = { consistent: ['一致', 'consistent'], inconsistent: ['不一致', 'inconsistent'],
    cannot_judge: ['无法判断', 'cannot judge'] };
  function label(map, k) { const v = map[k]; return v ? bi(v[0], v[1]) : esc(k); }

  /* A visible badge where a unit's figures rest on imported history (the
   * API's provenance "imported" or "mixed", docs/import.md); '' otherwise. */
  function importedBadge(d) {
    if (!d || (d.provenance !== 'imported' && d.provenance !== 'mixed')) return '';
    const share = typeof d.imported_share === 'number' ? (d.imported_share * 100).toFixed(1) + ' %' : '';
    return ' <span class="badge imported" data-provenance="' + esc(d.provenance) + '" title="含导入历史数据 ' +
      'includes imported history (not gateway-signed) ' + esc(share) + '">' + bi('导入', 'imported') +
      (share ? ' ' + esc(share) : '') + '</span>';
  }

  const PAGES = [
    ['overview.html', '全市概览', 'Overview'],
    ['unit.html', '单位', 'Unit'],
    ['alerts.html', '预警', 'Alerts'],
    ['spotcheck.html', '现场核查', 'Spot checks'],
    ['report.html', '年度报表', 'Annual table'],
  ];

  /* Page header with navigation; sends to the login page without a token. */
  function init(active) {
    if (!token()) { location.href = 'index.html'; return false; }
    const h = document.createElement('header');
    h.className = 'top';
    h.innerHTML = '<span class="brand">' + bi('绿色制造监测', 'gfi') + '</span><nav>' +
      PAGES.map(p => '<a href="' + p[0] + '"' + (p[0] === active ? ' class="active"' : '') + '>' +
        bi(p[1], p[2]) + '</a>').join('') + '</nav>' +
      '<button type="button" id="logout">' + bi('退出', 'Log out') + '</button>';
    document.body.insertBefore(h, document.body.firstChild);
    h.querySelector('#logout').addEventListener('click', logout);
    return true;
  }

  /* <h1 data-en="Overview">概览</h1> shows as bi('概览', 'Overview'): the
   * English goes right after the element's first text, so inside a
   * <label> it stays before the control. */
  function addEnglish(el) {
    const span = document.createElement('span');
    span.className = 'en';
    span.textContent = el.dataset.en;
    const text = Array.from(el.childNodes).find(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const at = text ? text.nextSibling : el.firstChild;
    el.insertBefore(document.createTextNode(' '), at);
    el.insertBefore(span, at);
    el.insertBefore(document.createTextNode(' '), at);
  }

  /* The page's message box: #msg, or a new one at the top of <main>. */
  function msgBox() {
    let el = document.getElementById('msg');
    if (!el) {
      el = document.createElement('div');
      el.id = 'msg';
      (document.querySelector('main') || document.body).prepend(el);
    }
    return el;
  }

  function showError(el, e) {
    notice(el, 'error', bi('出错', 'Error') + ': ' + esc(e && e.message ? e.message : e));
  }

  /* The skeleton every page runs once: its header and navigation (not on
   * the login page, name 'index.html'; the others go there without a
   * token), the English beside each [data-en], then await run(msg) with
   * msg the page's message box. body[data-ready] becomes "1" when run
   * resolves, "error" with the message shown when it throws. */
  function page(name, run) {
    if (name !== 'index.html' && !init(name)) return;
    document.querySelectorAll('[data-en]').forEach(addEnglish);
    const msg = msgBox();
    Promise.resolve(msg).then(run).then(() => { document.body.dataset.ready = '1'; }, e => {
      showError(msg, e);
      document.body.dataset.ready = 'error';
    });
  }

  /* A column of GFI.table: [zh, en] or [zh, en, 'num'] (a right-aligned
   * number); en may be '' for none. */
  function th(col) {
    return '<th' + (col[2] ? ' class="' + esc(col[2]) + '"' : '') + '>' + bi(col[0], col[1]) + '</th>';
  }

  /* Fills the <table> el: a head from cols (see th), a body of rows (each
   * a built '<tr>…</tr>' string) or, when there is none, one muted row
   * saying empty ([zh, en]) across every column. */
  function table(el, cols, rows, empty) {
    el.innerHTML = '<thead><tr>' + cols.map(th).join('') + '</tr></thead><tbody>' + (rows.length ? rows.join('')
      : '<tr><td colspan="' + cols.length + '" class="muted">' + bi(empty) + '</td></tr>') + '</tbody>';
  }

  /* A one-line notice in el: kind 'info' or 'error', text already HTML. */
  function notice(el, kind, html) {
    el.innerHTML = '<div class="msg ' + kind + '" role="' + (kind === 'error' ? 'alert' : 'status') + '">' + html + '</div>';
  }

  /* Run fn over items, at most n at a time. */
  async function pool(items, n, fn) {
    const out = new Array(items.length);
    let i = 0;
    async function worker() {
      while (i < items.length) { const k = i++; out[k] = await fn(items[k], k); }
    }
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
    return out;
  }

  /* Downloads need the Authorization header, so fetch as a blob and save it
   * through an object URL. */
  async function download(path, fallbackName) {
    const r = await request(path);
    if (!r.ok) {
      let m = 'HTTP ' + r.status;
      try { m = (await r.json()).error || m; } catch (e) { /* not JSON */ }
      throw new ApiError(r.status, m);
    }
    const cd = r.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(cd);
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = m ? m[1] : fallbackName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return blob.size;
  }

  return { token, setToken, logout, esc, bi, api, request, num, pct, yoyClass, time, thisYear,
    param, yearParam, KIND, LEVEL, STATE, VERDICT, label, importedBadge, page, table, notice, showError, pool, download,
    ApiError };
})();
