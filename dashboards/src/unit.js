/* gfi dashboards: one unit's year. Cards with the year's indicators and
 * their YoY, monthly charts against last year (ECharts; window.gfiCharts
 * holds them for the browser test; a year in progress is compared to the
 * same day of last year, as the cards' labels say), the completeness per
 * month, the unit's
 * gateways and its meters with their last reading, and for a factory the
 * platform's table (filing.js: score, outlook, trend, filing view).
 * Figures resting on imported history carry the 导入 badge. */
'use strict';
const MONTHS = Array.from({ length: 12 }, (_, i) => (i + 1) + '月');

/* On a chart under 480 px (a phone) the legend moves below the axis, out
 * of the title's way. */
const NARROW_CHART = [{ query: { maxWidth: 480 }, option: { legend: { top: 'auto', bottom: 4 }, grid: { bottom: 56 } } }];

/* The twelve monthly values of indicator k in a monthly document; null
 * where a month has none. */
function series(doc, k) {
  const out = new Array(12).fill(null);
  (doc.months || []).forEach(m => {
    const e = m.indicators[k];
    if (m.month >= 1 && m.month <= 12 && e && e.value != null) out[m.month - 1] = e.value;
  });
  return out;
}

/* A meter's row: a retired one greyed, a last reading flagged other than
 * ok carries its status. */
function meterRow(m) {
  const { num, esc, time } = GFI;
  return '<tr' + (m.retired ? ' class="muted"' : '') + '><td>' + esc(m.gateway) + '</td><td>' + esc(m.meter) +
    '</td><td>' + esc(m.point) + '</td><td>' + esc(m.quantity) + '</td><td>' + esc(m.role) + '</td><td>' + esc(m.carrier) +
    '</td><td class="num">' + num(m.accuracy_pct) + '</td><td>' + time(m.registered_s) +
    '</td><td class="num" data-last-value>' + num(m.last_value) +
    (m.last_status && m.last_status !== 'ok' ? ' <span class="muted">' + esc(m.last_status) + '</span>' : '') +
    '</td><td>' + time(m.last_time_s) + '</td></tr>';
}

GFI.page('unit.html', async msg => {
  const { api, num, pct, bi, esc, time } = GFI;
  const year = GFI.yearParam();
  document.getElementById('year').value = year;
  document.getElementById('pick').addEventListener('submit', ev => {
    ev.preventDefault();
    location.search = '?code=' + encodeURIComponent(document.getElementById('code').value) +
      '&year=' + encodeURIComponent(document.getElementById('year').value);
  });
  const units = (await api('/api/v1/units')).units;
  const code = GFI.param('code') || (units[0] && units[0].code);
  document.getElementById('code').innerHTML = units.map(u => '<option value="' + esc(u.code) + '"' +
    (u.code === code ? ' selected' : '') + '>' + esc(u.name) + ' (' + esc(u.code) + ')</option>').join('');
  const unit = units.find(u => u.code === code);
  if (!unit) {
    GFI.notice(msg, 'info', bi('没有可见单位', 'No visible unit'));
    return;
  }
  document.getElementById('title').innerHTML = bi(unit.name, unit.code + ' · ' + unit.kind + ' · county ' +
    unit.county + ' · ' + unit.level);
  document.title = unit.name + ' — gfi';
  const base = '/api/v1/units/' + encodeURIComponent(code);
  const [cur, prev, yearInd, meters, gws] = await Promise.all([
    api(base + '/indicators/monthly?year=' + year),
    api(base + '/indicators/monthly?year=' + (year - 1)).catch(() => ({ months: [] })),
    api(base + '/indicators?year=' + year),
    api(base + '/meters'),
    api('/api/v1/gateways')]);
  document.getElementById('body').hidden = false;
  showProvenance(year, yearInd, prev);
  showCards(year, yearInd.indicators);
  showCharts(year, cur, prev, yearInd.product_unit || '');
  GFI.table(document.getElementById('completeness'), [['月份', 'Month'], ...MONTHS.map(m => [m, '', 'num'])],
    ['<tr><td>' + year + ' %</td>' + series(cur, 'completeness_pct').map(v => '<td class="num ' +
      (v == null ? '' : v >= 90 ? 'ok' : v >= 60 ? 'warn' : 'bad') + '">' + num(v, 1) + '</td>').join('') + '</tr>'], ['无', 'none']);
  GFI.table(document.getElementById('gateways'), [['网关', 'Gateway'], ['状态', 'Active'], ['登记', 'Registered'],
    ['最后数据', 'Last batch']], gws.gateways.filter(g => g.unit === code).map(g => '<tr data-gateway="' + esc(g.id) +
    '"><td>' + esc(g.id) + '</td><td>' + (g.active ? bi('启用', 'active') : bi('停用', 'inactive')) + '</td><td>' +
    time(g.registered_s) + '</td><td>' + time(g.last_batch_s) + '</td></tr>'), ['无', 'none']);
  GFI.table(document.getElementById('meters'), [['网关', 'Gateway'], ['表计', 'Meter'], ['点', 'Point'],
    ['物理量', 'Quantity'], ['用途', 'Role'], ['能源品种', 'Carrier'], ['精度 %', 'Accuracy', 'num'], ['登记', 'Registered'],
    ['最新读数', 'Last reading', 'num'], ['读数时间', 'Read at']], meters.meters.map(meterRow), ['无', 'none']);
  /* The platform's table of a listed factory: score, outlook, trend, the
   * filing view (filing.js). */
  if (unit.kind === 'factory') await GFIFiling.unit(document.getElementById('filing-section'), msg, code, year);

  /* This year's badge in the title, last year's (the comparison) beside
   * the chart legend. */
  function showProvenance(year, yearInd, prev) {
    document.getElementById('legend').textContent = year + ' vs ' + (year - 1);
    document.getElementById('title').insertAdjacentHTML('beforeend', GFI.importedBadge(yearInd));
    const pm = prev.months || [];
    const prevReadings = pm.reduce((n, m) => n + (m.readings || 0), 0);
    const prevImported = pm.reduce((n, m) => n + (m.imported_readings || 0), 0);
    if (prevImported > 0) {
      document.getElementById('legend').insertAdjacentHTML('beforeend', ' · ' + (year - 1) +
        GFI.importedBadge({ provenance: prevImported < prevReadings ? 'mixed' : 'imported',
          imported_share: prevImported / prevReadings }));
    }
  }

  /* A card: the value, its year-on-year change under the API's label (a
   * year in progress compares to the same day: "同比(截至12月7日)"), and
   * when estimated, the reasons naming each missing meter. */
  function showCards(year, I) {
    const card = (k, zh, en) => {
      const e = I[k] || {};
      const why = (e.reasons || []).map(r => r.text).join('; ');
      return '<div class="card" data-testid="' + k + '"><div class="label">' + bi(zh, en) + ' ' + esc(e.unit || '') +
        '</div><div class="value" data-value>' + num(e.value) + '</div><div class="sub"><span data-yoy class="' +
        GFI.yoyClass(e.yoy_pct) + '"><span data-yoy-label>' + bi(e.yoy_label || '同比', e.yoy_label_en || 'YoY') +
        '</span> <span data-yoy-value>' + pct(e.yoy_pct) + '</span></span>' +
        (e.estimated ? ' · <span data-estimated title="' + esc(why) + '">' + bi('估算', 'estimated') + '</span>' : '') +
        (why ? '<div class="muted" data-reasons>' + esc(why) + '</div>' : '') + '</div></div>';
    };
    document.getElementById('cards').innerHTML =
      card('energy_equiv_tce', year + '年综合能耗', 'Energy (equiv.)') +
      card('water_intake_m3', '取水量', 'Water intake') +
      card('co2_t', '二氧化碳排放', 'CO2') +
      card('energy_per_product', '单位产品综合能耗', 'Energy per product') +
      card('completeness_pct', '数据完整率', 'Completeness');
  }

  /* One chart per .chart element: this year's months as bars, last year's
   * as a line. Energy intensity is per product when the unit has a
   * product, else per output value. */
  function showCharts(year, cur, prev, pu) {
    const hasProduct = cur.months.some(m => m.indicators.energy_per_product &&
      m.indicators.energy_per_product.value != null);
    const intensityKey = hasProduct || !cur.months.some(m => m.indicators.energy_per_value &&
      m.indicators.energy_per_value.value != null) ? 'energy_per_product' : 'energy_per_value';
    document.getElementById('chart-intensity').dataset.key = intensityKey;
    const CH = {
      energy_equiv_tce: ['综合能耗', 'Energy consumption', 'tce'],
      water_intake_m3: ['取水量', 'Water intake', 'm³'],
      co2_t: ['二氧化碳排放', 'CO2 emissions', 't'],
      energy_per_product: ['单位产品综合能耗', 'Energy per product', 'kgce/' + pu],
      energy_per_value: ['万元产值综合能耗', 'Energy per output value', 'tce/10⁴ CNY'],
    };
    window.gfiCharts = {};
    document.querySelectorAll('.chart').forEach(el => {
      const k = el.dataset.key;
      const c = CH[k];
      const a = series(cur, k), b = series(prev, k);
      const chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption({ baseOption: {
        animation: false,
        title: { text: c[0] + ' ' + c[1], subtext: c[2], left: 10, top: 6, textStyle: { fontSize: 14 } },
        tooltip: { trigger: 'axis' },
        legend: { data: [String(year), String(year - 1)], right: 10, top: 8 },
        grid: { left: 60, right: 20, top: 60, bottom: 30 },
        xAxis: { type: 'category', data: MONTHS },
        yAxis: { type: 'value' },
        series: [
          { name: String(year), type: 'bar', data: a, itemStyle: { color: '#2f7446' } },
          { name: String(year - 1), type: 'line', data: b, itemStyle: { color: '#9aa5b1' }, connectNulls: false },
        ],
      }, media: NARROW_CHART });
      el.dataset.months = a.filter(v => v != null).length;
      el.dataset.prevMonths = b.filter(v => v != null).length;
      window.gfiCharts[k] = chart;
    });
    window.addEventListener('resize', () => Object.values(window.gfiCharts).forEach(c => c.resize()));
  }
});

