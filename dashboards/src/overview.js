'use strict';
(async function () {
  if (!GFI.init('overview.html')) return;
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
  const msg = document.getElementById('msg');
  try {
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

    function status(code) {
      const list = (gw[code] || []).filter(x => x.active);
      const last = list.reduce((m, x) => (x.last_batch_s != null && x.last_batch_s > m ? x.last_batch_s : m), -1);
      if (list.length === 0) return { k: 'none', last: null, html: '<span class="muted">无网关 <span class="en">no gateway</span></span>' };
      if (last < 0) return { k: 'never', last: null, html: '<span class="bad">从未报送 <span class="en">never reported</span></span>' };
      if (now - last > STALE_S) return { k: 'stale', last, html: '<span class="warn">已中断 <span class="en">stopped</span></span>' };
      return { k: 'ok', last, html: '<span class="ok">正常 <span class="en">reporting</span></span>' };
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
      card('reporting', '正常报送', 'Reporting', reporting, '共 ' + units.length + ' <span class="en">of</span>') +
      card('not-reporting', '未报送/中断', 'Not reporting', units.length - reporting) +
      card('open-alerts', '未处理预警', 'Open alerts', open.alerts.length,
        '已确认 <span class="en">acknowledged</span> ' + acked.alerts.length) +
      card('energy-total', year + '年综合能耗合计', 'Energy ' + year + ', tce', totalHas ? num(total) : '—');

    const byCounty = {};
    units.forEach((x, i) => { (byCounty[x.county] = byCounty[x.county] || []).push(i); });
    let h = '<thead><tr><th>单位 <span class="en">Unit</span></th><th>类型 <span class="en">Kind</span></th>' +
      '<th>报送 <span class="en">Reporting</span></th><th>最后数据 <span class="en">Last batch</span></th>';
    KEYS.forEach(k => { h += '<th class="num">' + bi(k[1], k[2]) + ' ' + esc(k[3]) + '</th><th class="num">同比 <span class="en">YoY</span></th>'; });
    h += '<th class="num">完整率 <span class="en">Complete</span></th><th class="num">预警 <span class="en">Alerts</span></th></tr></thead><tbody>';
    Object.keys(byCounty).sort().forEach(county => {
      const idx = byCounty[county];
      const ok = idx.filter(i => st[i].k === 'ok').length;
      h += '<tr class="county"><td colspan="' + (6 + KEYS.length * 2) + '">区县 <span class="en">County</span> ' +
        esc(countyName[county] ? countyName[county] + ' ' : '') + esc(county) +
        ' — ' + idx.length + ' 家 <span class="en">units</span>, ' + ok + ' 正常报送 <span class="en">reporting</span></td></tr>';
      idx.forEach(i => {
        const x = units[i], d = ind[i];
        h += '<tr data-unit="' + esc(x.code) + '" data-status="' + st[i].k + '"><td><a href="unit.html?code=' +
          encodeURIComponent(x.code) + '&year=' + year + '">' + esc(x.name) + '</a>' + GFI.importedBadge(d) + '<br><span class="muted">' + esc(x.code) + '</span></td>' +
          '<td>' + GFI.label(GFI.KIND, x.kind) + '</td><td>' + st[i].html + '</td><td>' + time(st[i].last) + '</td>';
        KEYS.forEach(k => {
          const e = d && d.indicators[k[0]];
          h += '<td class="num" data-key="' + k[0] + '">' + num(e && e.value) + '</td>' +
            '<td class="num ' + GFI.yoyClass(e && e.yoy_pct) + '" data-yoy="' + k[0] + '">' + pct(e && e.yoy_pct) + '</td>';
        });
        const c = d && d.indicators.completeness_pct;
        h += '<td class="num" data-key="completeness_pct">' + num(c && c.value, 1) + '</td><td class="num" data-key="alerts">' +
          (alertsBy[x.code] || 0) + '</td></tr>';
      });
    });
    if (units.length === 0) h += '<tr><td colspan="12" class="muted">没有可见单位 <span class="en">No visible unit</span></td></tr>';
    document.getElementById('units').innerHTML = h + '</tbody>';
    document.body.dataset.ready = '1';
  } catch (e) {
    GFI.showError(msg, e);
    document.body.dataset.ready = 'error';
  }
})();
