'use strict';
(async function () {
  if (!GFI.init('unit.html')) return;
  const { api, num, pct, bi, esc, time } = GFI;
  const year = GFI.yearParam();
  const msg = document.getElementById('msg');
  document.getElementById('year').value = year;
  document.getElementById('pick').addEventListener('submit', ev => {
    ev.preventDefault();
    location.search = '?code=' + encodeURIComponent(document.getElementById('code').value) +
      '&year=' + encodeURIComponent(document.getElementById('year').value);
  });
  let units;
  try {
    units = (await api('/api/v1/units')).units;
  } catch (e) { GFI.showError(msg, e); return; }
  const code = GFI.param('code') || (units[0] && units[0].code);
  const sel = document.getElementById('code');
  sel.innerHTML = units.map(u => '<option value="' + esc(u.code) + '"' + (u.code === code ? ' selected' : '') + '>' +
    esc(u.name) + ' (' + esc(u.code) + ')</option>').join('');
  const unit = units.find(u => u.code === code);
  if (!unit) {
    msg.innerHTML = '<div class="msg info">没有可见单位 <span class="en">No visible unit</span></div>';
    return;
  }
  document.getElementById('title').innerHTML = esc(unit.name) + ' <span class="en">' + esc(unit.code) + ' · ' +
    esc(unit.kind) + ' · county ' + esc(unit.county) + ' · ' + esc(unit.level) + '</span>';
  document.title = unit.name + ' — gfi';
  const base = '/api/v1/units/' + encodeURIComponent(code);
  try {
    const [cur, prev, yearInd, meters, gws] = await Promise.all([
      api(base + '/indicators/monthly?year=' + year),
      api(base + '/indicators/monthly?year=' + (year - 1)).catch(() => ({ months: [] })),
      api(base + '/indicators?year=' + year),
      api(base + '/meters'),
      api('/api/v1/gateways')]);
    document.getElementById('body').hidden = false;
    document.getElementById('legend').textContent = year + ' vs ' + (year - 1);
    /* Figures resting on imported history carry a badge: this year's in
     * the title, last year's (the comparison) beside the legend. */
    document.getElementById('title').insertAdjacentHTML('beforeend', GFI.importedBadge(yearInd));
    const pm = prev.months || [];
    const prevReadings = pm.reduce((n, m) => n + (m.readings || 0), 0);
    const prevImported = pm.reduce((n, m) => n + (m.imported_readings || 0), 0);
    if (prevImported > 0) {
      document.getElementById('legend').insertAdjacentHTML('beforeend', ' · ' + (year - 1) +
        GFI.importedBadge({ provenance: prevImported < prevReadings ? 'mixed' : 'imported',
          imported_share: prevImported / prevReadings }));
    }
    const I = yearInd.indicators;
    const pu = yearInd.product_unit || '';
    const card = (k, zh, en) => {
      const e = I[k] || {};
      return '<div class="card" data-testid="' + k + '"><div class="label">' + bi(zh, en) + ' ' + esc(e.unit || '') +
        '</div><div class="value" data-value>' + num(e.value) + '</div><div class="sub"><span class="' +
        GFI.yoyClass(e.yoy_pct) + '">同比 <span class="en">YoY</span> ' + pct(e.yoy_pct) + '</span>' +
        (e.estimated ? ' · 估算 <span class="en">estimated</span>' : '') + '</div></div>';
    };
    document.getElementById('cards').innerHTML =
      card('energy_equiv_tce', year + '年综合能耗', 'Energy (equiv.)') +
      card('water_intake_m3', '取水量', 'Water intake') +
      card('co2_t', '二氧化碳排放', 'CO2') +
      card('energy_per_product', '单位产品综合能耗', 'Energy per product') +
      card('completeness_pct', '数据完整率', 'Completeness');

    /* Energy intensity: per product when the unit has a product, else per
     * output value. */
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
    const series = (doc, k) => {
      const out = new Array(12).fill(null);
      (doc.months || []).forEach(m => {
        const e = m.indicators[k];
        if (m.month >= 1 && m.month <= 12 && e && e.value != null) out[m.month - 1] = e.value;
      });
      return out;
    };
    const months = Array.from({ length: 12 }, (_, i) => (i + 1) + '月');
    window.gfiCharts = {};
    document.querySelectorAll('.chart').forEach(el => {
      const k = el.dataset.key;
      const c = CH[k];
      const a = series(cur, k), b = series(prev, k);
      const chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption({
        animation: false,
        title: { text: c[0] + ' ' + c[1], subtext: c[2], left: 10, top: 6, textStyle: { fontSize: 14 } },
        tooltip: { trigger: 'axis' },
        legend: { data: [String(year), String(year - 1)], right: 10, top: 8 },
        grid: { left: 60, right: 20, top: 60, bottom: 30 },
        xAxis: { type: 'category', data: months },
        yAxis: { type: 'value' },
        series: [
          { name: String(year), type: 'bar', data: a, itemStyle: { color: '#2f7446' } },
          { name: String(year - 1), type: 'line', data: b, itemStyle: { color: '#9aa5b1' }, connectNulls: false },
        ],
      });
      el.dataset.months = a.filter(v => v != null).length;
      el.dataset.prevMonths = b.filter(v => v != null).length;
      window.gfiCharts[k] = chart;
    });
    window.addEventListener('resize', () => Object.values(window.gfiCharts).forEach(c => c.resize()));

    let t = '<thead><tr><th>月份 <span class="en">Month</span></th>' + months.map(m => '<th class="num">' + m + '</th>').join('') +
      '</tr></thead><tbody><tr><td>' + year + ' %</td>';
    t += series(cur, 'completeness_pct').map(v => '<td class="num ' + (v == null ? '' : v >= 90 ? 'ok' : v >= 60 ? 'warn' : 'bad') +
      '">' + num(v, 1) + '</td>').join('') + '</tr></tbody>';
    document.getElementById('completeness').innerHTML = t;

    const mine = gws.gateways.filter(g => g.unit === code);
    document.getElementById('gateways').innerHTML = '<thead><tr><th>网关 <span class="en">Gateway</span></th>' +
      '<th>状态 <span class="en">Active</span></th><th>登记 <span class="en">Registered</span></th>' +
      '<th>最后数据 <span class="en">Last batch</span></th></tr></thead><tbody>' +
      (mine.map(g => '<tr data-gateway="' + esc(g.id) + '"><td>' + esc(g.id) + '</td><td>' +
        (g.active ? '启用 <span class="en">active</span>' : '停用 <span class="en">inactive</span>') + '</td><td>' +
        time(g.registered_s) + '</td><td>' + time(g.last_batch_s) + '</td></tr>').join('') ||
        '<tr><td colspan="4" class="muted">无 <span class="en">none</span></td></tr>') + '</tbody>';
    document.getElementById('meters').innerHTML = '<thead><tr><th>网关 <span class="en">Gateway</span></th>' +
      '<th>表计 <span class="en">Meter</span></th><th>点 <span class="en">Point</span></th><th>物理量 <span class="en">Quantity</span></th>' +
      '<th>用途 <span class="en">Role</span></th><th>能源品种 <span class="en">Carrier</span></th><th class="num">精度 % <span class="en">Accuracy</span></th>' +
      '<th>登记 <span class="en">Registered</span></th><th class="num">最新读数 <span class="en">Last reading</span></th>' +
      '<th>读数时间 <span class="en">Read at</span></th></tr></thead><tbody>' +
      (meters.meters.map(m => '<tr' + (m.retired ? ' class="muted"' : '') + '><td>' + esc(m.gateway) + '</td><td>' + esc(m.meter) +
        '</td><td>' + esc(m.point) + '</td><td>' + esc(m.quantity) + '</td><td>' + esc(m.role) + '</td><td>' + esc(m.carrier) +
        '</td><td class="num">' + num(m.accuracy_pct) + '</td><td>' + time(m.registered_s) +
        '</td><td class="num" data-last-value>' + num(m.last_value) +
        (m.last_status && m.last_status !== 'ok' ? ' <span class="muted">' + esc(m.last_status) + '</span>' : '') +
        '</td><td>' + time(m.last_time_s) + '</td></tr>').join('') ||
        '<tr><td colspan="10" class="muted">无 <span class="en">none</span></td></tr>') + '</tbody>';
    document.body.dataset.ready = '1';
  } catch (e) {
    GFI.showError(msg, e);
    document.body.dataset.ready = 'error';
  }
})();
