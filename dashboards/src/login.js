/* gfi dashboards: the login page. A token is checked against the API (GET
 * /api/v1/units) before it is kept in sessionStorage; a malformed one is
 * refused without asking the server. */
'use strict';
GFI.page('index.html', () => {
  const { bi, esc, notice } = GFI;
  const form = document.getElementById('login');
  const msg = document.getElementById('login-msg');
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const t = document.getElementById('token').value.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(t)) {
      notice(msg, 'error', bi('令牌应为64位十六进制字符', 'A token is 64 hex characters'));
      return;
    }
    try {
      await GFI.api('/api/v1/units', { token: t });
    } catch (e) {
      notice(msg, 'error', e.status === 401 ? bi('令牌无效或已吊销', 'Token unknown or revoked')
        : bi('无法连接', 'Cannot reach the server') + ': ' + esc(e.message));
      return;
    }
    GFI.setToken(t);
    location.href = 'overview.html';
  });
});
