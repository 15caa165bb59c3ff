'use strict';
(async function () {
  if (!GFI.init('report.html')) return;
  const { api, num, pct, bi, esc } = GFI;
  const msg = document.getElementById('msg');
  const y = Number(GFI.param('year'));
  const year = y >= 2000 && y <= 2100 ? y : GFI.thisYear() - 1;   /* the table is filed for last year */
  const county = GFI.param('county') || '';
  document.getElementById('year').value = year;
  document.getElementById('county').value = county;
  document.getElementById('yearform').addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams({ year: document.getElementById('year').value });
    if (document.getElementById('county').value.trim()) q.set('county', document.getElementById('county').value.trim());
    location.search = '?' + q;
  });
  const q = 'year=' + year + (county ? '&county=' + encodeURIComponent(county) : '');
  const dl = fmt => async () => {
    try {
      const n = await GFI.download('/api/v1/report?' + q + '&format=' + fmt, 'gfi-report-' + year + '.' + fmt);
      msg.innerHTML = '<div class="msg info" role="status">已下载 <span class="en">Downloaded</span> ' + num(n, 0) + ' bytes</div>';
    } catch (e) { GFI.showError(msg, e); }
  };
  document.getElementById('dl-csv').addEventListener('click', dl('csv'));
  document.getElementById('dl-xlsx').addEventListener('click', dl('xlsx'));

  const COLS = [
    ['energy_equiv_tce', '综合能耗(当量值)', 'Energy equiv.'],
    ['energy_per_product', '单位产品综合能耗', 'Energy / product'],
    ['water_intake_m3', '取水量', 'Water intake'],
    ['co2_t', '二氧化碳排放', 'CO2'],
    ['renewable_pct', '可再生能源占比', 'Renewable share'],
    ['completeness_pct', '数据完整率', 'Completeness'],
  ];
  try {
    const d = await api('/api/v1/report?' + q + '&format=json');
    let h = '<thead><tr><th>统一社会信用代码 <span class="en">Code</span></th><th>名称 <span class="en">Name</span></th>' +
      '<th>区县 <span class="en">County</span></th><th>类型 <span class="en">Kind</span></th><th>级别 <span class="en">Level</span></th>' +
      '<th>数据质量 <span class="en">Data quality</span></th>';
    COLS.forEach(c => { h += '<th class="num">' + bi(c[1], c[2]) + '</th>'; });
    h += '</tr></thead><tbody>';
    d.units.forEach(u => {
      h += '<tr data-unit="' + esc(u.code) + '"><td>' + esc(u.code) + '</td><td>' + esc(u.name) + GFI.importedBadge(u) +
        '</td><td>' + esc(u.county) +
        '</td><td>' + GFI.label(GFI.KIND, u.kind) + '</td><td>' + GFI.label(GFI.LEVEL, u.level) + '</td><td>' + esc(u.data_quality) + '</td>';
      COLS.forEach(c => {
        const e = u.indicators[c[0]];
        h += '<td class="num" data-key="' + c[0] + '">' + num(e && e.value) + ' <span class="muted">' +
          esc(e ? e.unit : '') + '</span>' +
          (e && e.yoy_pct != null ? '<br><span class="' + GFI.yoyClass(e.yoy_pct) + '">' + pct(e.yoy_pct) + '</span>' : '') + '</td>';
      });
      h += '</tr>';
    });
    if (d.units.length === 0) h += '<tr><td colspan="12" class="muted">无 <span class="en">none</span></td></tr>';
    document.getElementById('report').innerHTML = h + '</tbody>';
    document.body.dataset.ready = '1';
  } catch (e) {
    GFI.showError(msg, e);
    document.body.dataset.ready = 'error';
  }
})();
