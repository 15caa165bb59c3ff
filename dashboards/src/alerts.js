'use strict';
(async function () {
  if (!GFI.init('alerts.html')) return;
  const { api, num, esc, time } = GFI;
  const msg = document.getElementById('msg');
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

  let names = {};
  function row(a) {
    const acts = [];
    if (a.state === 'open') acts.push('<button type="button" data-act="ack">确认 <span class="en">Acknowledge</span></button>');
    if (a.state !== 'resolved') acts.push('<button type="button" data-act="resolve" class="secondary">解决 <span class="en">Resolve</span></button>');
    return '<td>' + a.id + '</td><td>' + esc(names[a.unit] || '') + '<br><span class="muted">' + esc(a.unit) + '</span></td>' +
      '<td>' + esc(a.rule) + '<br><span class="muted">' + esc(a.subject) + '</span></td><td>' + esc(a.period) + '</td>' +
      '<td class="num">' + num(a.value) + '</td><td class="num">' + num(a.threshold) + '</td><td>' + esc(a.detail) + '</td>' +
      '<td class="state" data-state="' + esc(a.state) + '"><span class="badge ' + esc(a.state) + '">' + GFI.label(GFI.STATE, a.state) +
      '</span></td><td>' + time(a.first_seen_s) + '<br>' + time(a.last_seen_s) + '</td><td>' + esc(a.changed_by) +
      (a.changed_s ? '<br><span class="muted">' + time(a.changed_s) + '</span>' : '') + '</td><td>' + acts.join(' ') + '</td>';
  }
  try {
    const q = new URLSearchParams();
    ['state', 'county', 'unit'].forEach(k => { if (f[k]) q.set(k, f[k]); });
    const [d, u] = await Promise.all([api('/api/v1/alerts' + (q.toString() ? '?' + q : '')), api('/api/v1/units')]);
    u.units.forEach(x => { names[x.code] = x.name; });
    const tbl = document.getElementById('alerts');
    tbl.innerHTML = '<thead><tr><th>#</th><th>单位 <span class="en">Unit</span></th><th>规则 <span class="en">Rule</span></th>' +
      '<th>期间 <span class="en">Period</span></th><th class="num">值 <span class="en">Value</span></th>' +
      '<th class="num">阈值 <span class="en">Threshold</span></th><th>说明 <span class="en">Detail</span></th>' +
      '<th>状态 <span class="en">State</span></th><th>首次/最近 <span class="en">First/last seen</span></th>' +
      '<th>处理 <span class="en">Changed by</span></th><th></th></tr></thead><tbody>' +
      (d.alerts.map(a => '<tr data-alert-id="' + a.id + '">' + row(a) + '</tr>').join('') ||
        '<tr><td colspan="11" class="muted">没有预警 <span class="en">No alert</span></td></tr>') + '</tbody>';
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
        msg.innerHTML = '<div class="msg info" role="status">预警 ' + a.id + ' → ' + GFI.label(GFI.STATE, a.state) + '</div>';
      } catch (e) {
        GFI.showError(msg, e);
        tr.querySelectorAll('button').forEach(x => { x.disabled = false; });
      }
    });
    document.body.dataset.ready = '1';
  } catch (e) {
    GFI.showError(msg, e);
    document.body.dataset.ready = 'error';
  }
})();
