/* gfi dashboards: the yearly table in the platform's terms (docs/report.md
 * "The platform's table"). GFIFiling.unit fills a unit page's section: the
 * score, subtotals per aim, the outlook (A+ / A / B, the bottom-5 %
 * warning), the rows that cost the most, the three-year trend, the filing
 * view (one row per platform indicator with 基准值, 引领值, score, proof and
 * revision remark), the reconciliation, the major changes and compliance
 * entries, a form for the unit's own token and confirm / reject buttons
 * (the API decides who may). GFIFiling.overview fills the overview's
 * ranking. Every label zh-CN first, English beside (GFI.bi). */
'use strict';

const GFIFiling = (function () {
  const STATE = { stated: ['待确认', 'stated by the unit'], confirmed: ['已确认', 'confirmed'],
    rejected: ['已驳回', 'rejected'] };
  const KIND = { remark: ['修订说明', 'revision remark'], qualitative: ['定性指标填报', 'qualitative entry'],
    major_change: ['重大事项变更', 'major change'],
    compliance: ['合规性信息', 'compliance'] };

  function card(id, zh, en, value, sub) {
    return '<div class="card" data-testid="' + id + '"><div class="label">' + GFI.bi(zh, en) +
      '</div><div class="value" data-value>' + value + '</div><div class="sub">' + (sub || '') + '</div></div>';
  }

  function outlookCards(f) {
    const { num, bi, esc } = GFI, o = f.outlook;
    return card('total', '总分', 'Total score', num(f.total), bi('满分', 'of') + ' ' + num(f.max_total)) +
      card('grade', '绿码预期', 'Outlook', esc(o.grade || '—'),
        o.rank ? bi('全市第 ' + o.rank + ' / ' + o.of, 'city rank') : '') +
      card('sector-grade', '行业内', 'In the sector', esc(o.sector_grade || '—'),
        o.sector_rank ? bi('第 ' + o.sector_rank + ' / ' + o.sector_of, 'sector rank') : bi('不足10家', 'under 10 units')) +
      card('warning', '末位5%预警', 'Bottom-5 % warning', o.warning ? bi('是', 'yes') : bi('否', 'no'),
        bi('末位年份', 'bottom years') + ' ' + esc(o.bottom5_years.join(', ') || '—'));
  }

  function statementCell(s) {
    if (!s) return '—';
    const { esc, bi, time } = GFI;
    const st = STATE[s.state] || [s.state, ''];
    return '<div data-statement="' + s.id + '" data-state="' + esc(s.state) + '">' + esc(s.text) +
      ' <span class="badge">' + bi(st[0], st[1]) + '</span><br><span class="muted">' + bi('单位声明', "unit's statement") +
      ' ' + esc(s.by) + ' ' + esc(s.date) + (s.evidence ? ' · ' + esc(s.evidence) : '') +
      (s.reviewed_by ? ' · ' + esc(s.reviewed_by) + ' ' + time(s.reviewed_s) : '') + '</span>' +
      (s.state === 'stated' ? ' <button type="button" class="secondary" data-confirm="' + s.id + '">' +
        bi('确认', 'Confirm') + '</button> <button type="button" class="secondary" data-reject="' + s.id + '">' +
        bi('驳回', 'Reject') + '</button>' : '') + '</div>';
  }

  function rowsTable(el, f) {
    const { num, esc, bi } = GFI;
    const cols = [['序号', 'No'], ['目标', 'Aim'], ['指标', 'Indicator'], ['数值', 'Value', 'num'], ['单位', 'Unit'],
      ['基准值', 'Baseline', 'num'], ['引领值', 'Leading', 'num'], ['得分', 'Score', 'num'], ['适用', 'Applicable'],
      ['数据来源', 'Provenance'], ['完整率', 'Complete', 'num'], ['证明材料', 'Proof'], ['修订说明', 'Revision remark'],
      ['说明', 'Note']];
    GFI.table(el, cols, f.rows.map(r => '<tr data-row="' + r.no + '" data-key="' + esc(r.key) + '"><td>' + r.no +
      '</td><td>' + esc(r.aim) + '</td><td>' + bi(r.zh, r.en) + '</td><td class="num" data-value>' +
      (r.entry ? statementCell(r.entry) : num(r.value, 4)) +
      '</td><td>' + esc(r.unit) + '</td><td class="num">' + num(r.baseline, 4) + '</td><td class="num">' +
      num(r.leading, 4) + '</td><td class="num" data-score>' + num(r.score, 4) + '</td><td>' +
      (r.applicable ? bi('是', 'yes') : bi('否', 'no')) + '</td><td>' + esc(r.provenance) + '</td><td class="num">' +
      num(r.completeness == null ? null : r.completeness * 100, 1) + '</td><td>' + esc(r.proof) + '</td><td>' +
      statementCell(r.remark) + '</td><td class="muted">' + esc(r.note) + '</td></tr>'), ['无', 'none']);
  }

  function trendTable(el, f) {
    const { num, bi } = GFI;
    const cols = [['指标', 'Indicator'], ...f.trend.flatMap(t => [[t.year + ' 数值', 'value', 'num'],
      [t.year + ' 得分', 'score', 'num']])];
    const rows = f.rows.filter(r => f.trend.some(t => t.rows[r.key])).map(r => '<tr data-trend="' + r.no + '"><td>' + bi(r.zh, r.en) + '</td>' +
      f.trend.map(t => { const x = t.rows[r.key] || {}; return '<td class="num">' + num(x.value, 4) +
        '</td><td class="num">' + num(x.score, 4) + '</td>'; }).join('') + '</tr>');
    rows.push('<tr data-trend="total"><td>' + bi('总分', 'Total') + '</td>' + f.trend.map(t =>
      '<td></td><td class="num">' + num(t.total, 4) + '</td>').join('') + '</tr>');
    GFI.table(el, cols, rows, ['无', 'none']);
  }

  function statementsTable(el, list) {
    const { esc, bi } = GFI;
    GFI.table(el, [['类别', 'Kind'], ['日期', 'Date'], ['内容', 'Text'], ['佐证', 'Evidence'], ['状态', 'State']],
      list.map(s => '<tr><td>' + bi(KIND[s.kind][0], KIND[s.kind][1]) + '</td><td>' + esc(s.date) + '</td><td>' +
        statementCell(s) + '</td><td>' + esc(s.evidence) + '</td><td>' + esc(s.state) + '</td></tr>'),
      ['无', 'none']);
  }

  /* The unit page's section: fetch the filing of code for year into el. */
  async function unit(el, msg, code, year) {
    const { api, bi, num, esc } = GFI;
    const base = '/api/v1/units/' + encodeURIComponent(code);
    const f = await api(base + '/filing?year=' + year);
    el.innerHTML = '<h2>' + bi(year + '年 绿色评价得分', 'Score ' + year) + '</h2><div class="cards">' + outlookCards(f) +
      '</div><h2>' + bi('分项得分', 'Subtotals per aim') + '</h2><div class="scroll"><table id="subtotals"></table></div>' +
      '<h2>' + bi('失分最多的指标', 'Rows that cost the most') + '</h2><ul id="costliest"></ul>' +
      '<h2>' + bi('近三年趋势', 'Three-year trend') + '</h2><div class="scroll"><table id="trend"></table></div>' +
      '<h2>' + bi('填报视图', 'Filing view') + '</h2><div class="scroll"><table id="filing"></table></div>' +
      '<h2>' + bi('统计报表核对', 'Reconciliation with returns and bills') + '</h2><div class="scroll"><table id="reconcile"></table></div>' +
      '<h2>' + bi('重大事项变更与合规性信息', 'Major changes and compliance') + '</h2><div class="scroll"><table id="statements"></table></div>' +
      '<h2>' + bi('单位声明', "The unit's statement") + '</h2><form class="bar" id="statement-form">' +
      '<label>' + bi('类别', 'Kind') + '<select id="st-kind">' + Object.keys(KIND).map(k => '<option value="' + k + '">' +
        esc(KIND[k][0] + ' ' + KIND[k][1]) + '</option>').join('') + '</select></label>' +
      '<label>' + bi('行号', 'Row') + '<input type="number" id="st-row" min="1" max="18" class="year"></label>' +
      '<label>' + bi('日期', 'Date') + '<input id="st-date" placeholder="YYYY-MM-DD" size="10"></label>' +
      '<label>' + bi('内容', 'Text') + '<input id="st-text" size="30"></label>' +
      '<label>' + bi('佐证', 'Evidence') + '<input id="st-evidence" size="16"></label>' +
      '<button type="submit">' + bi('提交', 'Submit') + '</button></form>';
    GFI.table(el.querySelector('#subtotals'), [['目标', 'Aim'], ['得分', 'Score', 'num'], ['满分', 'Max', 'num']],
      f.subtotals.map(s => '<tr data-aim="' + esc(s.aim) + '"><td>' + bi(s.aim, s.en) + '</td><td class="num" data-score>' +
        num(s.score, 4) + '</td><td class="num">' + num(s.max, 4) + '</td></tr>'), ['无', 'none']);
    el.querySelector('#costliest').innerHTML = f.costliest.map(c => '<li data-costly="' + c.no + '">' + esc(c.no) + ' ' +
      esc(c.key) + ': −' + num(c.lost, 2) + '</li>').join('') || '<li class="muted">' + bi('无', 'none') + '</li>';
    trendTable(el.querySelector('#trend'), f);
    rowsTable(el.querySelector('#filing'), f);
    GFI.table(el.querySelector('#reconcile'), [['品种', 'Carrier'], ['计量合计', 'Meters', 'num'], ['报表/账单', 'Stated', 'num'],
      ['差异', 'Difference', 'num']], f.reconciliation.map(r => '<tr data-carrier="' + esc(r.carrier) + '"' +
      (r.over ? ' class="bad"' : '') + '><td>' + esc(r.carrier) + ' (' + esc(r.unit) + ')</td><td class="num">' +
      num(r.metered) + '</td><td class="num">' + num(r.stated) + '</td><td class="num">' + GFI.pct(r.diff_pct) +
      '</td></tr>'), ['无', 'none']);
    statementsTable(el.querySelector('#statements'), f.major_changes.concat(f.compliance));
    wire(el, msg, base, year, () => unit(el, msg, code, year));
  }

  /* The form posts the unit's statement; the buttons confirm or reject. */
  function wire(el, msg, base, year, reload) {
    const v = id => el.querySelector('#' + id).value.trim();
    el.querySelector('#statement-form').addEventListener('submit', async ev => {
      ev.preventDefault();
      const body = { year, kind: v('st-kind'), date: v('st-date'), text: v('st-text'), evidence: v('st-evidence') };
      if (body.kind === 'remark' || body.kind === 'qualitative') body.row = Number(v('st-row'));
      try {
        await GFI.api(base + '/statements', { method: 'POST', body });
        GFI.notice(msg, 'info', GFI.bi('已提交', 'Submitted'));
        await reload();
      } catch (e) { GFI.showError(msg, e); }
    });
    el.querySelectorAll('[data-confirm],[data-reject]').forEach(b => b.addEventListener('click', async () => {
      const id = b.dataset.confirm || b.dataset.reject;
      try {
        await GFI.api('/api/v1/statements/' + id + '/' + (b.dataset.confirm ? 'confirm' : 'reject'), { method: 'POST' });
        GFI.notice(msg, 'info', GFI.bi('已处理', 'Done'));
        await reload();
      } catch (e) { GFI.showError(msg, e); }
    }));
  }

  /* The overview's section: units ranked by score, the grades, the falls. */
  async function overview(el, year, countyName) {
    const { api, bi, num, esc } = GFI;
    const d = await api('/api/v1/scores?year=' + year);
    el.innerHTML = '<div class="cards">' + ['A+', 'A', 'B'].map(g => card('grade-' + g, '绿码 ' + g, 'outlook ' + g,
      d.distribution[g])).join('') + '</div><h2>' + bi('按得分排名', 'Ranked by score') + '</h2>' +
      '<div class="scroll"><table id="scores"></table></div><h2>' + bi('得分下降最多', 'Largest falls') + '</h2>' +
      '<div class="scroll"><table id="falls"></table></div>';
    const row = u => '<tr data-unit="' + esc(u.code) + '"><td class="num" data-rank>' + num(u.rank, 0) + '</td><td>' +
      '<a href="unit.html?code=' + encodeURIComponent(u.code) + '&year=' + year + '">' + esc(u.name) + '</a></td><td>' +
      esc(countyName[u.county] || u.county) + '</td><td>' + esc(u.sector) + '</td><td class="num" data-total>' +
      num(u.total, 4) + '</td><td data-grade>' + esc(u.grade || '—') + '</td><td>' + esc(u.sector_grade || '—') +
      '</td><td class="num">' + num(u.change, 4) + '</td><td>' + (u.warning ? bi('末位预警', 'bottom-5 % warning') : '') +
      '</td></tr>';
    const cols = [['名次', 'Rank', 'num'], ['单位', 'Unit'], ['区县', 'County'], ['行业', 'Sector'], ['总分', 'Total', 'num'],
      ['绿码预期', 'Outlook'], ['行业内', 'In sector'], ['较上年', 'Change', 'num'], ['预警', 'Warning']];
    GFI.table(el.querySelector('#scores'), cols, d.units.map(row), ['没有可见单位', 'No visible unit']);
    GFI.table(el.querySelector('#falls'), cols, d.fell_most.map(row), ['无', 'none']);
  }

  return { unit, overview };
})();
