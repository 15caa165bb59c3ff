/* gfi dashboards: spot checks. An inspector picks a gateway's meter point,
 * enters the reading on its display and the time it was read; the API
 * judges it against the reported series and the verdict shows at once and
 * in the history beside the form. */
'use strict';
GFI.page('spotcheck.html', async () => {
  const { api, num, bi, esc, time } = GFI;
  const $ = id => document.getElementById(id);
  const verdict = v => '<span class="badge ' + esc(v) + '">' + GFI.label(GFI.VERDICT, v) + '</span>';
  const COLS = [['#', ''], ['网关/表计/点', 'Gateway/meter/point'], ['时间', 'At'], ['现场', 'Reading', 'num'],
    ['系统', 'Reported', 'num'], ['偏差', 'Diff', 'num'], ['结论', 'Verdict'], ['核查人', 'Inspector']];
  const row = k => '<tr data-spotcheck-id="' + k.id + '" data-verdict="' + esc(k.verdict) + '"><td>' + k.id + '</td><td>' +
    esc(k.gateway) + ' / ' + esc(k.meter) + ' / ' + esc(k.point) + '</td><td>' + time(k.at_s) + '</td><td class="num">' +
    num(k.reading, 3) + '</td><td class="num">' + num(k.reported, 3) + '</td><td class="num">' +
    (k.diff_pct == null ? '—' : num(k.diff_pct, 2) + '%') + ' <span class="muted">±' + num(k.tolerance_pct) + '%</span></td><td>' +
    verdict(k.verdict) + '<br><span class="muted">' + esc(k.reason) + '</span></td><td>' + esc(k.inspector) +
    (k.note ? '<br><span class="muted">' + esc(k.note) + '</span>' : '') + '</td></tr>';
  async function history() {
    const d = await api('/api/v1/spotchecks');
    GFI.table($('history'), COLS, d.spotchecks.slice().sort((a, b) => b.id - a.id).map(row), ['暂无', 'None yet']);
  }

  const gws = (await api('/api/v1/gateways')).gateways;
  const meters = {};
  await GFI.pool([...new Set(gws.map(g => g.unit))], 4, async u => {
    meters[u] = (await api('/api/v1/units/' + encodeURIComponent(u) + '/meters')).meters;
  });
  $('gateway').innerHTML = gws.map(g => '<option value="' + esc(g.id) + '">' + esc(g.id) + ' (' + esc(g.unit) + ')</option>').join('');
  const fill = () => {
    const g = gws.find(x => x.id === $('gateway').value);
    const list = g ? (meters[g.unit] || []).filter(m => m.gateway === g.id && !m.retired) : [];
    $('mp').innerHTML = list.map(m => '<option value="' + esc(m.meter + '|' + m.point) + '">' + esc(m.meter) + ' / ' +
      esc(m.point) + ' — ' + esc(m.quantity) + '</option>').join('');
  };
  $('gateway').addEventListener('change', fill);
  fill();
  $('inspector').value = sessionStorage.getItem('gfi.by') || '';
  await history();
  $('sc').addEventListener('submit', async ev => {
    ev.preventDefault();
    const [meter, point] = $('mp').value.split('|');
    const body = { gateway: $('gateway').value, meter, point, at: $('at').value.replace('T', ' '),
      reading: Number($('reading').value), inspector: $('inspector').value.trim() };
    if ($('note').value.trim()) body.note = $('note').value.trim();
    $('sc-submit').disabled = true;
    try {
      const k = await api('/api/v1/spotchecks', { method: 'POST', body });
      sessionStorage.setItem('gfi.by', body.inspector);
      $('result').innerHTML = '<div class="msg info" role="status" data-verdict="' + esc(k.verdict) + '" data-spotcheck-id="' + k.id +
        '">' + bi('结论', 'Verdict') + ': ' + verdict(k.verdict) + ' — ' + bi('系统读数', 'reported') + ' ' + num(k.reported, 3) +
        (k.diff_pct == null ? '' : ', ' + bi('偏差', 'diff') + ' ' + num(k.diff_pct, 2) + '%') +
        '<br><span class="muted">' + esc(k.reason) + '</span></div>';
      await history();
    } catch (e) {
      GFI.showError($('result'), e);
    } finally {
      $('sc-submit').disabled = false;
    }
  });
});
