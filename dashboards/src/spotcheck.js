'use strict';
(async function () {
  if (!GFI.init('spotcheck.html')) return;
  const { api, num, esc, time } = GFI;
  const msg = document.getElementById('msg');
  const $ = id => document.getElementById(id);
  const verdict = v => '<span class="badge ' + esc(v) + '">' + GFI.label(GFI.VERDICT, v) + '</span>';

  async function history() {
    const d = await api('/api/v1/spotchecks');
    const rows = d.spotchecks.slice().sort((a, b) => b.id - a.id);
    $('history').innerHTML = '<thead><tr><th>#</th><th>网关/表计/点 <span class="en">Gateway/meter/point</span></th>' +
      '<th>时间 <span class="en">At</span></th><th class="num">现场 <span class="en">Reading</span></th>' +
      '<th class="num">系统 <span class="en">Reported</span></th><th class="num">偏差 <span class="en">Diff</span></th>' +
      '<th>结论 <span class="en">Verdict</span></th><th>核查人 <span class="en">Inspector</span></th></tr></thead><tbody>' +
      (rows.map(k => '<tr data-spotcheck-id="' + k.id + '" data-verdict="' + esc(k.verdict) + '"><td>' + k.id + '</td><td>' +
        esc(k.gateway) + ' / ' + esc(k.meter) + ' / ' + esc(k.point) + '</td><td>' + time(k.at_s) + '</td><td class="num">' +
        num(k.reading, 3) + '</td><td class="num">' + num(k.reported, 3) + '</td><td class="num">' +
        (k.diff_pct == null ? '—' : num(k.diff_pct, 2) + '%') + ' <span class="muted">±' + num(k.tolerance_pct) + '%</span></td><td>' +
        verdict(k.verdict) + '<br><span class="muted">' + esc(k.reason) + '</span></td><td>' + esc(k.inspector) +
        (k.note ? '<br><span class="muted">' + esc(k.note) + '</span>' : '') + '</td></tr>').join('') ||
        '<tr><td colspan="8" class="muted">暂无 <span class="en">None yet</span></td></tr>') + '</tbody>';
  }

  try {
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
          '">结论 <span class="en">Verdict</span>: ' + verdict(k.verdict) + ' — 系统读数 <span class="en">reported</span> ' +
          num(k.reported, 3) + (k.diff_pct == null ? '' : ', 偏差 <span class="en">diff</span> ' + num(k.diff_pct, 2) + '%') +
          '<br><span class="muted">' + esc(k.reason) + '</span></div>';
        await history();
      } catch (e) {
        GFI.showError($('result'), e);
      } finally {
        $('sc-submit').disabled = false;
      }
    });
    document.body.dataset.ready = '1';
  } catch (e) {
    GFI.showError(msg, e);
    document.body.dataset.ready = 'error';
  }
})();
