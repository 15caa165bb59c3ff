/* gfi dashboards: the city overview. Cards (units, reporting, open alerts,
 * the year's energy total) and one row per unit grouped by county, with the
 * year's main indicators and their YoY. A unit reports when one of its
 * active gateways sent a batch within the last 2 days. Below, the units
 * ranked by the platform's score with their outlook (filing.js). */
'use strict';
GFI.page('overview.html', async () => {
  const { api, num, pct, bi, esc, time } = GFI;
  const year = GFI.yearParam();
  document.getElementById('year').value = year;
  document.getElementById('yearform').addEventListener('submit', ev => {
    ev.preventDefault();
    location.search = '?year=' + encodeURIComponent(document.getElementById('year').value);
  });
  const STALE_S = 2 * 86400;
  const KEYS = [
    ['energy_equiv_tce', '综合能耗', 'Energy', 'tce'],
    ['water_intake_m3', '取水量', 'Water intake', 'm³'],
    ['co2_t', '二氧化碳排放', 'CO2', 't'],
  ];
  const [u, g, open, acked, cs] = await Promise.all([
    api('/api/v1/units'), api('/api/v1/gateways'),
    api('/api/v1/alerts?state=open'), api('/api/v1/alerts?state=acknowledged'),
    api('/api/v1/counties')]);
  const countyName = {};
  cs.counties.forEach(c => { countyName[c.code] = c.name; });
  const units = u.units;
  const now = Date.now() / 1000;
  const gw = {};
  g.gateways.forEach(x => { (gw[x.unit] = gw[x.unit] || []).push(x); });
  const ind = await GFI.pool(units, 6, x =>
    api('/api/v1/units/' + encodeURIComponent(x.code) + '/indicators?year=' + year)
      .catch(() => null));
  const alertsBy = {};
  open.alerts.forEach(a => { alertsBy[a.unit] = (alertsBy[a.unit] || 0) + 1; });

  const shown = (k, last, cls, zh, en) => ({ k, last, html: '<span class="' + cls + '">' + bi(zh, en) + '</span>' });
  function status(code) {
    const list = (gw[code] || []).filter(x => x.active);
    const last = list.reduce((m, x) => (x.last_batch_s != null && x.last_batch_s > m ? x.last_batch_s : m), -1);
    if (list.length === 0) return shown('none', null, 'muted', '无网关', 'no gateway');
    if (last < 0) return shown('never', null, 'bad', '从未报送', 'never reported');
    if (now - last > STALE_S) return shown('stale', last, 'warn', '已中断', 'stopped');
    return shown('ok', last, 'ok', '正常', 'reporting');
  }
  const st = units.map(x => status(x.code));
  const reporting = st.filter(s => s.k === 'ok').length;
  let total = 0, totalHas = false;
  ind.forEach(d => {
    const v = d && d.indicators.energy_equiv_tce && d.indicators.energy_equiv_tce.value;
    if (v != null) { total += v; totalHas = true; }
  });
  const card = (id, zh, en, value, sub) => '<div class="card" data-testid="' + id + '"><div class="label">' +
    bi(zh, en) + '</div><div class="value" data-value>' + value + '</div><div class="sub">' + (sub || '') + '</div></div>';
  document.getElementById('cards').innerHTML =
    card('units', '单位数', 'Units', units.length) +
    card('reporting', '正常报送', 'Reporting', reporting, bi('共 ' + units.length + ' 家', 'of ' + units.length)) +
    card('not-reporting', '未报送/中断', 'Not reporting', units.length - reporting) +
    card('open-alerts', '未处理预警', 'Open alerts', open.alerts.length, bi('已确认', 'acknowledged') + ' ' + acked.alerts.length) +
    card('energy-total', year + '年综合能耗合计', 'Energy ' + year + ', tce', totalHas ? num(total) : '—');

  const cols = [['单位', 'Unit'], ['类型', 'Kind'], ['报送', 'Reporting'], ['最后数据', 'Last batch']];
  /* A year in progress is compared to the same day of last year: the
   * API's label says up to which day. */
  const withLabel = ind.find(d => d && d.indicators.energy_equiv_tce) || null;
  const e0 = withLabel && withLabel.indicators.energy_equiv_tce;
  const yoyHead = [(e0 && e0.yoy_label) || '同比', (e0 && e0.yoy_label_en) || 'YoY', 'num'];
  KEYS.forEach(k => cols.push([k[1], k[2] + ' ' + k[3], 'num'], yoyHead));
  cols.push(['完整率', 'Complete', 'num'], ['预警', 'Alerts', 'num']);
  const row = i => {
    const x = units[i], d = ind[i];
    let h = '<tr data-unit="' + esc(x.code) + '" data-status="' + st[i].k + '"><td><a href="unit.html?code=' +
      encodeURIComponent(x.code) + '&year=' + year + '">' + esc(x.name) + '</a>' + GFI.importedBadge(d) +
      '<br><span class="muted">' + esc(x.code) + '</span></td><td>' + GFI.label(GFI.KIND, x.kind) + '</td><td>' +
      st[i].html + '</td><td>' + time(st[i].last) + '</td>';
    KEYS.forEach(k => {
      const e = d && d.indicators[k[0]];
      h += '<td class="num" data-key="' + k[0] + '">' + num(e && e.value) + '</td>' +
        '<td class="num ' + GFI.yoyClass(e && e.yoy_pct) + '" data-yoy="' + k[0] + '">' + pct(e && e.yoy_pct) + '</td>';
    });
    const c = d && d.indicators.completeness_pct;
    return h + '<td class="num" data-key="completeness_pct">' + num(c && c.value, 1) + '</td><td class="num" data-key="alerts">' +
      (alertsBy[x.code] || 0) + '</td></tr>';
  };
  const byCounty = {};
  units.forEach((x, i) => { (byCounty[x.county] = byCounty[x.county] || []).push(i); });
  const rows = [];
  Object.keys(byCounty).sort().forEach(county => {
    const idx = byCounty[county];
    const ok = idx.filter(i => st[i].k === 'ok').length;
    rows.push('<tr class="county"><td colspan="' + cols.length + '">' + bi('区县', 'County') + ' ' +
      esc(countyName[county] ? countyName[county] + ' ' : '') + esc(county) + ' — ' +
      bi(idx.length + ' 家', 'units') + ', ' + bi(ok + ' 正常报送', 'reporting') + '</td></tr>', ...idx.map(row));
  });
  GFI.table(document.getElementById('units'), cols, rows, ['没有可见单位', 'No visible unit']);
  /* The platform's scores: ranked, the outlook's grades, the falls. */
  await GFIFiling.overview(document.getElementById('scores-section'), year, countyName);
});
