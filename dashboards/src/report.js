/* gfi dashboards: the annual table (年度动态管理表) of one year, last year
 * by default, previewed from the API's JSON and downloaded as CSV or XLSX
 * (with the token, through GFI.download). */
'use strict';
GFI.page('report.html', async msg => {
  const { api, num, pct, bi, esc } = GFI;
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
      GFI.notice(msg, 'info', bi('已下载', 'Downloaded') + ' ' + num(n, 0) + ' bytes');
    } catch (e) { GFI.showError(msg, e); }
  };
  document.getElementById('dl-csv').addEventListener('click', dl('csv'));
  document.getElementById('dl-xlsx').addEventListener('click', dl('xlsx'));

  const COLS = [
    ['energy_equiv_tce', '综合能耗(当量值)', 'Energy equiv.'],
    ['energy_per_product', '单位产品综合能耗', 'Energy / product'],
    ['water_intake_m3', '取水量', 'Water intake'],
    ['co2_t', '二氧化碳排放', 'CO2'],
    ['renewable_share_pct', '可再生能源利用率', 'Renewable share'],
    ['completeness_pct', '数据完整率', 'Completeness'],
  ];
  const d = await api('/api/v1/report?' + q + '&format=json');
  const cols = [['统一社会信用代码', 'Code'], ['名称', 'Name'], ['区县', 'County'], ['类型', 'Kind'], ['级别', 'Level'],
    ['数据质量', 'Data quality'], ...COLS.map(c => [c[1], c[2], 'num'])];
  const row = u => '<tr data-unit="' + esc(u.code) + '"><td>' + esc(u.code) + '</td><td>' + esc(u.name) +
    GFI.importedBadge(u) + '</td><td>' + esc(u.county) + '</td><td>' + GFI.label(GFI.KIND, u.kind) + '</td><td>' +
    GFI.label(GFI.LEVEL, u.level) + '</td><td>' + esc(u.data_quality) + '</td>' + COLS.map(c => {
    const e = u.indicators[c[0]];
    return '<td class="num" data-key="' + c[0] + '">' + num(e && e.value) + ' <span class="muted">' +
      esc(e ? e.unit : '') + '</span>' +
      (e && e.yoy_pct != null ? '<br><span class="' + GFI.yoyClass(e.yoy_pct) + '" title="' +
        esc((e.yoy_label || '同比') + ' ' + (e.yoy_label_en || 'YoY')) + '">' + pct(e.yoy_pct) + '</span>' : '') + '</td>';
  }).join('') + '</tr>';
  GFI.table(document.getElementById('report'), cols, d.units.map(row), ['无', 'none']);
});
