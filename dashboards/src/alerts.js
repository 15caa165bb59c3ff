/* gfi dashboards: the alert list, filtered by state, county and unit (kept
 * in the URL), where an open alert is acknowledged and an active one
 * resolved in place; the "handled by" name is kept in sessionStorage and
 * sent as "by" for the audit log. */
'use strict';
GFI.page('alerts.html', async msg => {
  const { api, num, bi, esc, time } = GFI;
  const f = { state: GFI.param('state'), county: GFI.param('county') || '', unit: GFI.param('unit') || '' };
  if (f.state === null) f.state = 'active';
  ['state', 'county', 'unit'].forEach(k => { document.getElementById(k).value = f[k]; });
  const by = document.getElementById('by');
  by.value = sessionStorage.getItem('gfi.by') || '';
  by.addEventListener('change', () => sessionStorage.setItem('gfi.by', by.value.trim()));
  document.getElementById('filter').addEventListener('submit', ev => {
    ev.preventDefault();
    const q = new URLSearchParams();
    ['state', 'county', 'unit'].forEach(k => q.set(k, document.getElementById(k).value.trim()));
    location.search = '?' + q.toString();
  });

  const names = {};
  function row(a) {
    const acts = [];
    if (a.state === 'open') acts.push('<button type="button" data-act="ack">' + bi('确认', 'Acknowledge') + '</button>');
    if (a.state !== 'resolved') acts.push('<button type="button" data-act="resolve" class="secondary">' + bi('解决', 'Resolve') + '</button>');
    return '<td>' + a.id + '</td><td>' + esc(names[a.unit] || '') + '<br><span class="muted">' + esc(a.unit) + '</span></td>' +
      '<td>' + esc(a.rule) + '<br><span class="muted">' + esc(a.subject) + '</span></td><td>' + esc(a.period) + '</td>' +
      '<td class="num">' + num(a.value) + '</td><td class="num">' + num(a.threshold) + '</td><td>' + esc(a.detail) + '</td>' +
      '<td class="state" data-state="' + esc(a.state) + '"><span class="badge ' + esc(a.state) + '">' + GFI.label(GFI.STATE, a.state) +
      '</span></td><td>' + time(a.first_seen_s) + '<br>' + time(a.last_seen_s) + '</td><td>' + esc(a.changed_by) +
      (a.changed_s ? '<br><span class="muted">' + time(a.changed_s) + '</span>' : '') + '</td><td>' + acts.join(' ') + '</td>';
  }
  const q = new URLSearchParams();
  ['state', 'county', 'unit'].forEach(k => { if (f[k]) q.set(k, f[k]); });
  const [d, u] = await Promise.all([api('/api/v1/alerts' + (q.toString() ? '?' + q : '')), api('/api/v1/units')]);
  u.units.forEach(x => { names[x.code] = x.name; });
  const tbl = document.getElementById('alerts');
  GFI.table(tbl, [['#', ''], ['单位', 'Unit'], ['规则', 'Rule'], ['期间', 'Period'], ['值', 'Value', 'num'],
    ['阈值', 'Threshold', 'num'], ['说明', 'Detail'], ['状态', 'State'], ['首次/最近', 'First/last seen'],
    ['处理', 'Changed by'], ['', '']], d.alerts.map(a => '<tr data-alert-id="' + a.id + '">' + row(a) + '</tr>'),
  ['没有预警', 'No alert']);
  tbl.addEventListener('click', async ev => {
    const b = ev.target.closest('button[data-act]');
    if (!b) return;
    const tr = b.closest('tr');
    const id = tr.dataset.alertId;
    tr.querySelectorAll('button').forEach(x => { x.disabled = true; });
    try {
      const body = by.value.trim() ? { by: by.value.trim() } : {};
      const a = await api('/api/v1/alerts/' + encodeURIComponent(id) + '/' + b.dataset.act, { method: 'POST', body });
      tr.innerHTML = row(a);
      GFI.notice(msg, 'info', '预警 ' + a.id + ' → ' + GFI.label(GFI.STATE, a.state));
    } catch (e) {
      GFI.showError(msg, e);
      tr.querySelectorAll('button').forEach(x => { x.disabled = false; });
    }
  });
});
