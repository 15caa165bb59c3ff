// Browser test of the dashboards: playwright-core drives Debian's chromium
// (/usr/bin/chromium; never a downloaded browser) against a running
// `gfi-aggregator http` whose static_dir is dashboards/dist. Started by
// run_dashboards.py, which passes BASE_URL, TOKEN (a city token), TOKEN_NAME, FACTORY,
// YEAR, SCREENSHOT_DIR, DOWNLOAD_DIR, GFI_SOURCE_DIR, and PINNED_URL with
// PINNED_LABEL (a second server pinned by --now inside YEAR), TOKENS (every
// token by name) and FILING_YEAR (a complete year with benchmarks). Prints
// "browser: N passed, N failed" last.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE = process.env.GFI_SOURCE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(SOURCE, 'dashboards', 'package.json'));
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const TOKEN = process.env.TOKEN;
const FACTORY = process.env.FACTORY;
const YEAR = Number(process.env.YEAR || 2025);
const SHOTS = process.env.SCREENSHOT_DIR || os.tmpdir();
const DOWNLOADS = process.env.DOWNLOAD_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'gfi-dl-'));
const PHONE = { width: 390, height: 844 };
const TABLET = { width: 768, height: 1024 };
const T0 = 1704038400; // 2024-01-01 00:00 Asia/Shanghai, first reading (run_dashboards.py)

let passed = 0, failed = 0;
function ok(cond, what) {
  if (cond) { passed++; console.log('ok: ' + what); } else { failed++; console.log('FAIL: ' + what); }
  return cond;
}
async function api(p, opts = {}) {
  const r = await fetch(BASE + p, { method: opts.method || 'GET',
    headers: { Authorization: 'Bearer ' + TOKEN } });
  return r.json();
}
const numText = s => Number(String(s).replace(/[,\s]/g, ''));
const near = (a, b) => a !== null && b !== null && Math.abs(a - b) <= 0.005 + Math.abs(b) * 1e-9;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gfi-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1366, height: 768 },
  acceptDownloads: true,
  downloadsPath: DOWNLOADS,
  timeout: 30000,
});
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(10000);
const errors = [];
page.on('pageerror', e => errors.push(String(e)));
const shot = name => page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
const ready = async () => {
  await page.waitForSelector('body[data-ready]');
  return page.getAttribute('body', 'data-ready');
};

try {
  // login
  await page.goto(BASE + '/');
  await shot('01-login');
  await page.fill('#token', 'not a token');
  await page.click('#login-submit');
  ok(await page.isVisible('#login-msg .msg.error'), 'malformed token refused on the login page');
  await page.fill('#token', TOKEN);
  await Promise.all([page.waitForURL(/overview\.html/), page.click('#login-submit')]);
  ok(await page.evaluate(() => sessionStorage.getItem('gfi.token')) === TOKEN, 'token kept in sessionStorage');

  // overview against the API
  await page.goto(BASE + '/overview.html?year=' + YEAR);
  ok(await ready() === '1', 'overview loaded');
  await shot('02-overview');
  const units = (await api('/api/v1/units')).units;
  const open = (await api('/api/v1/alerts?state=open')).alerts;
  const gws = (await api('/api/v1/gateways')).gateways;
  const card = async id => numText(await page.textContent('[data-testid="' + id + '"] [data-value]'));
  ok(await card('units') === units.length, 'overview unit count = API (' + units.length + ')');
  ok(await card('open-alerts') === open.length, 'overview open alerts = API (' + open.length + ')');
  const recent = gws.filter(g => g.active && g.last_batch_s !== null && Date.now() / 1000 - g.last_batch_s < 2 * 86400);
  ok(await card('reporting') === new Set(recent.map(g => g.unit)).size, 'overview reporting units = API gateways');
  let total = 0;
  for (const u of units) {
    const d = await api('/api/v1/units/' + u.code + '/indicators?year=' + YEAR);
    const row = '[data-unit="' + u.code + '"] ';
    for (const k of ['energy_equiv_tce', 'water_intake_m3', 'co2_t']) {
      const e = d.indicators[k];
      const txt = (await page.textContent(row + '[data-key="' + k + '"]')).trim();
      ok(e.value === null ? txt === '—' : near(numText(txt), Math.round(e.value * 100) / 100),
        'overview ' + u.code + ' ' + k + ': "' + txt + '" = API ' + e.value);
    }
    const yoy = d.indicators.energy_equiv_tce.yoy_pct;
    const ytxt = (await page.textContent(row + '[data-yoy="energy_equiv_tce"]')).trim();
    ok(yoy === null ? ytxt === '—' : Math.abs(parseFloat(ytxt) - yoy) <= 0.05,
      'overview ' + u.code + ' energy YoY: "' + ytxt + '" = API ' + yoy);
    const badge = await page.locator('[data-unit="' + u.code + '"] .badge.imported').count();
    const imported = d.provenance === 'imported' || d.provenance === 'mixed';
    ok(badge === (imported ? 1 : 0), 'overview ' + u.code + ' 导入 badge ' + badge + ' for provenance ' + d.provenance);
    if (u.code !== FACTORY) ok(imported, 'the supply-chain unit\'s imported history is marked ' + d.provenance);
    total += d.indicators.energy_equiv_tce.value || 0;
  }
  ok(near(await card('energy-total'), Math.round(total * 100) / 100), 'overview energy total = sum of API values');

  // a unit and its charts
  await Promise.all([page.waitForURL(/unit\.html/), page.click('[data-unit="' + FACTORY + '"] a')]);
  ok(await ready() === '1', 'unit page loaded');
  await shot('03-unit');
  const monthly = await api('/api/v1/units/' + FACTORY + '/indicators/monthly?year=' + YEAR);
  const prevMonthly = await api('/api/v1/units/' + FACTORY + '/indicators/monthly?year=' + (YEAR - 1));
  for (const k of ['energy_equiv_tce', 'water_intake_m3', 'co2_t']) {
    const want = monthly.months.filter(m => m.indicators[k].value !== null).length;
    const wantPrev = prevMonthly.months.filter(m => m.indicators[k].value !== null).length;
    const got = Number(await page.getAttribute('#chart-' + k, 'data-months'));
    const opt = await page.evaluate(key => {
      const o = window.gfiCharts[key].getOption();
      return { n: o.series[0].data.length, drawn: o.series[0].data.filter(v => v !== null).length,
        prev: o.series[1].data.filter(v => v !== null).length };
    }, k);
    ok(got === want && opt.drawn === want && opt.n === 12, 'chart ' + k + ' draws ' + opt.drawn + ' months of ' + YEAR +
      ' (API ' + want + ')');
    ok(opt.prev === wantPrev, 'chart ' + k + ' draws ' + opt.prev + ' months of ' + (YEAR - 1) + ' (API ' + wantPrev + ')');
  }
  ok(want4(monthly) && await page.isVisible('canvas'), 'charts drawn on canvas');
  ok((await page.textContent('#meters')).includes('E1') && (await page.textContent('#gateways')).includes('gw-a'),
    'unit page lists gateways and meters');
  const meterApi = await api('/api/v1/units/' + FACTORY + '/meters');
  const withLast = meterApi.meters.filter(m => m.last_value !== null).length;
  const shownLast = await page.$$eval('#meters td[data-last-value]',
    tds => tds.filter(td => td.textContent.trim() !== '' && td.textContent.trim() !== '—').length);
  ok(withLast > 0 && shownLast === withLast, 'meters show their last reading (' + shownLast + ' of API ' + withLast + ')');

  // alerts: acknowledge one
  await page.click('a[href="alerts.html"]');
  ok(await ready() === '1', 'alerts page loaded');
  const first = await page.getAttribute('tr[data-alert-id]:has(td[data-state="open"])', 'data-alert-id');
  await page.fill('#by', 'Li Wei');
  await page.dispatchEvent('#by', 'change');
  await page.click('tr[data-alert-id="' + first + '"] button[data-act="ack"]');
  await page.waitForSelector('tr[data-alert-id="' + first + '"] td[data-state="acknowledged"]');
  ok(true, 'alert ' + first + ' shows acknowledged');
  await shot('04-alerts');
  const after = (await api('/api/v1/alerts')).alerts.find(a => String(a.id) === first);
  ok(after && after.state === 'acknowledged' && after.changed_by === (process.env.TOKEN_NAME || 'city-ops'), 'API: alert ' + first +
    ' acknowledged by the token name (' + (after && after.state) + ', ' + (after && after.changed_by) + ')');

  // spot check
  await page.click('a[href="spotcheck.html"]');
  ok(await ready() === '1', 'spot check page loaded');
  await page.selectOption('#gateway', 'gw-a');
  await page.selectOption('#mp', 'E1|kwh');
  const at = Date.UTC(YEAR, 1, 1, 4, 30) / 1000; // 12:30 Asia/Shanghai, February 1
  await page.fill('#at', YEAR + '-02-01T12:30');
  await page.fill('#reading', String(1000 + 10 * (at - T0) / 3600));
  await page.click('#sc-submit');
  const v = await page.waitForSelector('#result [data-verdict]');
  const verdict = await v.getAttribute('data-verdict');
  const scId = await v.getAttribute('data-spotcheck-id');
  const sc = (await api('/api/v1/spotchecks')).spotchecks.find(k => String(k.id) === scId);
  ok(sc && sc.verdict === verdict, 'spot check verdict shown = API (' + verdict + ')');
  ok(verdict === 'consistent', 'reading on the line is consistent');
  ok(sc && sc.inspector === (process.env.TOKEN_NAME || 'city-ops'), 'the inspector is the token holder (' + (sc && sc.inspector) + ')');
  ok(await page.isVisible('#result [data-part="interpolation"]'), 'the tolerance is shown in its parts');
  ok(await page.isVisible('#history tr[data-spotcheck-id="' + scId + '"]'), 'spot check in the history');
  await shot('05-spotcheck');

  // annual table and its XLSX
  await page.goto(BASE + '/report.html?year=' + YEAR);
  ok(await ready() === '1', 'annual table loaded');
  const rep = await api('/api/v1/report?year=' + YEAR + '&format=json');
  ok(await page.locator('#report tbody tr[data-unit]').count() === rep.units.length, 'annual table rows = API (' +
    rep.units.length + ')');
  await shot('06-report');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-xlsx')]);
  const file = path.join(DOWNLOADS, dl.suggestedFilename() || 'report.xlsx');
  await dl.saveAs(file);
  const buf = fs.readFileSync(file);
  ok(dl.suggestedFilename() === 'gfi-report-' + YEAR + '.xlsx', 'XLSX file name ' + dl.suggestedFilename());
  ok(buf.length > 0 && buf[0] === 0x50 && buf[1] === 0x4b, 'XLSX downloaded, ' + buf.length + ' bytes, starts with PK');

  // the page skeleton: a refused request shows its error and marks the page
  await page.goto(BASE + '/alerts.html?state=bogus');
  ok(await ready() === 'error' && (await page.textContent('#msg .msg.error')).includes('state'),
    'a refused filter shows the API\'s error and body[data-ready] = error');
  ok((await page.textContent('h1')).trim() === '预警 Alerts' && await page.locator('header.top nav a.active').count() === 1,
    'the skeleton adds the English beside data-en texts and marks the page in the navigation');
  // the label and table helpers escape what they are given
  const helpers = await page.evaluate(() => {
    const t = document.createElement('table');
    GFI.table(t, [['单位', 'Unit'], ['值', 'Value', 'num'], ['#', '']], [], ['无 <none>', 'none & "more"']);
    const head = Array.from(t.tHead.rows[0].cells);
    const empty = t.tBodies[0].rows[0].cells[0];
    return { bi: GFI.bi('<b>', '"x"&'), heads: head.map(c => c.innerHTML), num: head[1].className,
      colspan: empty.colSpan, empty: empty.innerHTML };
  });
  ok(helpers.bi === '&lt;b&gt; <span class="en">&quot;x&quot;&amp;</span>',
    'GFI.bi escapes both languages: ' + helpers.bi);
  ok(helpers.heads.join('|') === '单位 <span class="en">Unit</span>|值 <span class="en">Value</span>|#' &&
    helpers.num === 'num', 'GFI.table head from [zh, en] pairs: ' + helpers.heads.join('|'));
  ok(helpers.colspan === 3 && helpers.empty === '无 &lt;none&gt; <span class="en">none &amp; "more"</span>',
    'GFI.table empty state spans every column, escaped: ' + helpers.empty);

  // a 390 px phone: nothing wider than the screen on any page (tables may
  // scroll inside their own container); nor on a 768 px tablet, where the
  // navigation is wider than the screen but not yet in its phone layout
  const screens = [[PHONE, ['overview', 'spotcheck', 'unit', 'alerts', 'report', 'index']],
    [TABLET, ['overview', 'unit']]];
  for (const [screen, names] of screens) {
    for (const name of names) {
      const wide = await overflow(name + '.html?year=' + YEAR, screen);
      ok(wide.ready === '1' && wide.scrollWidth <= screen.width && wide.beyond.length === 0,
        name + ' fits a ' + screen.width + ' px screen (ready ' + wide.ready + ', scrollWidth ' + wide.scrollWidth +
        ', beyond the edge: ' + (wide.beyond.join(' ') || 'none') + ')');
    }
  }
  await yearInProgress();
  await filingView();
  ok(errors.length === 0, 'no page errors: ' + errors.join('; '));
} catch (e) {
  ok(false, 'exception: ' + (e && e.stack ? e.stack : e));
  try { await shot('99-failure'); } catch (e2) { /* ignore */ }
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

/* Opens a page on a touch screen (device scale 3) of the given viewport
 * in a browser of its own, logged in through sessionStorage, and returns
 * the document's scrollWidth and the elements whose right edge passes the
 * screen outside a container that scrolls (overflow-x auto or scroll). */
async function overflow(url, screen) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const screenCtx = await browser.newContext({ viewport: screen, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    await screenCtx.addInitScript(t => sessionStorage.setItem('gfi.token', t), TOKEN);
    const p = await screenCtx.newPage();
    p.setDefaultTimeout(10000);
    p.on('pageerror', e => errors.push(String(e)));
    await p.goto(BASE + '/' + url);
    await p.waitForSelector('body[data-ready]');
    await p.screenshot({ path: path.join(SHOTS, screen.width + '-' + url.replace(/\.html.*/, '') + '.png'), fullPage: true });
    return await p.evaluate(limit => {
      const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
      const insideScroller = el => { for (let a = el.parentElement; a; a = a.parentElement) if (scrolls(a)) return true; return false; };
      const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
      const beyond = [...document.body.querySelectorAll('*')]
        .filter(el => el.getBoundingClientRect().right > limit + 0.5 && !insideScroller(el)).map(name);
      return { ready: document.body.dataset.ready, scrollWidth: document.documentElement.scrollWidth, beyond };
    }, screen.width);
  } finally {
    await browser.close();
  }
}

/* The unit page of a year in progress (the server pinned by --now inside
 * YEAR): each card's value, year-on-year change and its label ("同比(截至
 * 4月20日)") are the API's, and the API says the year is in progress. */
async function yearInProgress() {
  const PINNED = process.env.PINNED_URL;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const c = await browser.newContext();
    await c.addInitScript(t => sessionStorage.setItem('gfi.token', t), TOKEN);
    const p = await c.newPage();
    p.setDefaultTimeout(10000);
    p.on('pageerror', e => errors.push(String(e)));
    await p.goto(PINNED + '/unit.html?code=' + FACTORY + '&year=' + YEAR);
    await p.waitForSelector('body[data-ready]');
    await p.screenshot({ path: path.join(SHOTS, '08-unit-in-progress.png'), fullPage: true });
    const r = await fetch(PINNED + '/api/v1/units/' + FACTORY + '/indicators?year=' + YEAR,
      { headers: { Authorization: 'Bearer ' + TOKEN } });
    const d = await r.json();
    ok(d.in_progress === true && String(d.measured_to).startsWith(YEAR + '-'),
      'API: ' + YEAR + ' in progress, measured to ' + d.measured_to);
    for (const k of ['energy_equiv_tce', 'water_intake_m3']) {
      const e = d.indicators[k];
      const sel = '[data-testid="' + k + '"] ';
      const label = (await p.textContent(sel + '[data-yoy-label]')).trim();
      const value = numText(await p.textContent(sel + '[data-value]'));
      const yoy = (await p.textContent(sel + '[data-yoy-value]')).trim();
      ok(e.yoy_label === process.env.PINNED_LABEL && label === e.yoy_label + ' ' + e.yoy_label_en,
        'card ' + k + ' label "' + label + '" = API ' + e.yoy_label + ' / ' + e.yoy_label_en);
      ok(e.value !== null && near(value, Math.round(e.value * 100) / 100),
        'card ' + k + ' value ' + value + ' = API ' + e.value);
      ok(e.yoy_pct !== null && Math.abs(parseFloat(yoy) - e.yoy_pct) <= 0.05,
        'card ' + k + ' year-on-year "' + yoy + '" = API ' + e.yoy_pct);
    }
  } finally {
    await browser.close();
  }
}

/* The platform's table (issue 15) on FILING_YEAR, complete: the unit
 * page's score, outlook, subtotals and filing rows and the overview's
 * ranking equal the API's; FACTORY's own token writes a revision remark
 * through the page's form, Gulou's county token confirms it with the
 * page's button, and the API records who and when. */
async function filingView() {
  const FY = Number(process.env.FILING_YEAR);
  const T = JSON.parse(process.env.TOKENS);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  const as = async (tok, url) => {
    const c = await browser.newContext();
    await c.addInitScript(t => sessionStorage.setItem('gfi.token', t), tok);
    const p = await c.newPage();
    p.setDefaultTimeout(10000);
    p.on('pageerror', e => errors.push(String(e)));
    await p.goto(BASE + url);
    await p.waitForSelector('body[data-ready]');
    return p;
  };
  const get = async (p, tok) => (await fetch(BASE + p, { headers: { Authorization: 'Bearer ' + tok } })).json();
  const unitUrl = '/unit.html?code=' + FACTORY + '&year=' + FY;
  const filingApi = '/api/v1/units/' + FACTORY + '/filing?year=' + FY;
  try {
    let p = await as(TOKEN, unitUrl);
    await p.screenshot({ path: path.join(SHOTS, '09-filing.png'), fullPage: true });
    const f = await get(filingApi, TOKEN);
    ok(await p.getAttribute('body', 'data-ready') === '1' && f.total !== null && f.outlook.grade !== '',
      'unit page with its filing view loaded; API total ' + f.total + ' grade ' + f.outlook.grade);
    ok(near(numText(await p.textContent('[data-testid="total"] [data-value]')), Math.round(f.total * 100) / 100),
      'score card = API total ' + f.total);
    ok((await p.textContent('[data-testid="grade"] [data-value]')).trim() === f.outlook.grade,
      'outlook card = API grade ' + f.outlook.grade);
    for (const s of f.subtotals) {
      const t = numText(await p.textContent('#subtotals tr[data-aim="' + s.aim + '"] [data-score]'));
      ok(near(t, Math.round(s.score * 1e4) / 1e4), 'subtotal ' + s.aim + ' ' + t + ' = API ' + s.score);
    }
    let scored = 0;
    for (const r of f.rows) {
      const cell = (await p.textContent('#filing tr[data-row="' + r.no + '"] [data-score]')).trim();
      const want = r.score === null ? '—' : null;
      ok(want ? cell === want : near(numText(cell), Math.round(r.score * 1e4) / 1e4),
        'row ' + r.no + ' ' + r.key + ' score "' + cell + '" = API ' + r.score);
      scored += r.score !== null;
    }
    ok(scored >= 3, 'rows scored against the benchmarks: ' + scored);
    ok(await p.isVisible('#trend tr[data-trend="total"]') && f.trend.length === 3, 'three-year trend shown');
    await p.context().close();

    p = await as(TOKEN, '/overview.html?year=' + FY);
    const sc = await get('/api/v1/scores?year=' + FY, TOKEN);
    const mine = sc.units.find(u => u.code === FACTORY);
    const tr = '#scores tr[data-unit="' + FACTORY + '"] ';
    ok(mine && near(numText(await p.textContent(tr + '[data-total]')), Math.round(mine.total * 1e4) / 1e4) &&
      (await p.textContent(tr + '[data-grade]')).trim() === mine.grade,
      'overview ranking = API (' + (mine && mine.total) + ', ' + (mine && mine.grade) + ')');
    ok(numText(await p.textContent('[data-testid="grade-A+"] [data-value]')) === sc.distribution['A+'],
      'outlook distribution A+ = API ' + sc.distribution['A+']);
    await p.context().close();

    p = await as(T.factory, unitUrl);
    await p.selectOption('#st-kind', 'remark');
    await p.fill('#st-row', '16');
    await p.fill('#st-date', FY + 1 + '-03-01');
    await p.fill('#st-text', '用地面积按新权证更正 land area corrected');
    await p.fill('#st-evidence', '不动产权证');
    await p.click('#statement-form button[type="submit"]');
    await p.waitForSelector('#filing tr[data-row="16"] [data-statement][data-state="stated"]');
    let r16 = (await get(filingApi, TOKEN)).rows.find(r => r.no === 16).remark;
    ok(r16 && r16.by === 'factory' && r16.state === 'stated' && r16.statement_of === 'unit',
      "the unit's token wrote the remark, marked as the unit's statement: " + JSON.stringify(r16));
    await p.context().close();

    p = await as(T.gulou, unitUrl);
    await p.click('[data-confirm="' + r16.id + '"]');
    await p.waitForSelector('[data-statement="' + r16.id + '"][data-state="confirmed"]');
    await p.screenshot({ path: path.join(SHOTS, '10-filing-confirmed.png'), fullPage: true });
    r16 = (await get(filingApi, TOKEN)).rows.find(r => r.no === 16).remark;
    ok(r16.state === 'confirmed' && r16.reviewed_by === 'gulou' && r16.reviewed_s > 0,
      'the county token confirmed it, with who and when: ' + r16.reviewed_by);
    await p.context().close();
  } finally {
    await browser.close();
  }
}

function want4(m) { return Array.isArray(m.months) && m.months.length === 12; }

console.log('browser: ' + passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
