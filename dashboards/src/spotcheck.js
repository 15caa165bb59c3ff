/* gfi dashboards: spot checks. An inspector picks a gateway's meter point
 * and the kind of check (the display against the reported counter, a
 * reference meter over a period, or the increase since an earlier check),
 * enters the readings and times; the API judges it and records it under the
 * token's holder. The verdict shows at once with its tolerance broken down
 * into its parts (display, register, clock, interpolation, classes), and in
 * the history beside the form. */
'use strict';
GFI.page('spotcheck.html', async () => {
  const { api, num, bi, esc, time } = GFI;
  const $ = id => document.getElementById(id);
  const verdict = v => '<span class="badge ' + esc(v) + '">' + GFI.label(GFI.VERDICT, v) + '</span>';
  const PARTS = [['display', '显示', 'display'], ['register', '寄存器', 'register'], ['clock', '时钟', 'clock'],
    ['interpolation', '插值', 'interpolation'], ['classes', '等级', 'classes']];
  const parts = k => k.tolerance == null ? '' : '±' + num(k.tolerance, 3) + ' = ' + PARTS
    .filter(([p]) => k.tolerance_parts && k.tolerance_parts[p])
    .map(([p, zh, en]) => '<span data-part="' + p + '">' + bi(zh, en) + ' ' + num(k.tolerance_parts[p], 3) + '</span>')
    .join(' + ');
  const COLS = [['#', ''], ['网关/表计/点', 'Gateway/meter/point'], ['时间', 'At'], ['现场', 'Reading', 'num'],
    ['系统', 'Reported', 'num'], ['偏差', 'Diff', 'num'], ['结论', 'Verdict'], ['核查人', 'Inspector']];
  const row = k => '<tr data-spotcheck-id="' + k.id + '" data-verdict="' + esc(k.verdict) + '"><td>' + k.id +
    '<br><span class="muted">' + esc(k.kind) + '</span></td><td>' +
    esc(k.gateway) + ' / ' + esc(k.meter) + ' / ' + esc(k.point) + '</td><td>' + time(k.at_s) + '</td><td class="num">' +
    num(k.reading, 3) + '</td><td class="num">' + num(k.reported, 3) + '</td><td class="num">' +
    (k.diff == null ? '—' : num(k.diff, 3)) + ' <span class="muted">' + parts(k) + '</span></td><td>' +
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
  const kind = () => {
    /* style, not the hidden attribute: the labels' display: flex wins over it */
    document.querySelectorAll('#sc .ref').forEach(e => { e.style.display = $('kind').value === 'reference' ? '' : 'none'; });
    document.querySelectorAll('#sc .inc').forEach(e => { e.style.display = $('kind').value === 'increase' ? '' : 'none'; });
  };
  $('gateway').addEventListener('change', fill);
  $('kind').addEventListener('change', kind);
  fill();
  kind();
  await history();
  /* The form as the API's body: only the kind's fields, blanks left out
   * (the API's defaults). */
  const bodyOf = () => {
    const [meter, point] = $('mp').value.split('|');
    const body = { gateway: $('gateway').value, meter, point, kind: $('kind').value,
      at: $('at').value.replace('T', ' '), reading: Number($('reading').value) };
    const number = (id, key) => { if ($(id).value !== '') body[key] = Number($(id).value); };
    if (body.kind === 'reference') {
      body.from = $('from').value.replace('T', ' ');
      number('from-reading', 'from_reading');
      number('ref-class', 'ref_class');
    }
    if (body.kind === 'increase') number('since', 'since');
    number('display-res', 'display_resolution');
    number('clock', 'clock_uncertainty_s');
    const reg = $('register').value;
    if (reg) body.register = reg === 'f32' ? reg : Number(reg);
    if ($('note').value.trim()) body.note = $('note').value.trim();
    return body;
  };
  $('sc').addEventListener('submit', async ev => {
    ev.preventDefault();
    $('sc-submit').disabled = true;
    try {
      const k = await api('/api/v1/spotchecks', { method: 'POST', body: bodyOf() });
      $('result').innerHTML = '<div class="msg info" role="status" data-verdict="' + esc(k.verdict) + '" data-spotcheck-id="' + k.id +
        '">' + bi('结论', 'Verdict') + ': ' + verdict(k.verdict) + ' — ' + bi('系统', 'reported') + ' ' + num(k.reported, 3) +
        (k.diff == null ? '' : ', ' + bi('偏差', 'diff') + ' ' + num(k.diff, 3)) +
        '<br><span class="tolerance">' + bi('允差', 'tolerance') + ' ' + parts(k) + '</span>' +
        '<br><span class="muted">' + bi('核查人', 'inspector') + ' ' + esc(k.inspector) + ' · ' + esc(k.reason) + '</span></div>';
      await history();
    } catch (e) {
      GFI.showError($('result'), e);
    } finally {
      $('sc-submit').disabled = false;
    }
  });
});
