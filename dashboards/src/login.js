'use strict';
(function () {
  const form = document.getElementById('login');
  const msg = document.getElementById('login-msg');
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const t = document.getElementById('token').value.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(t)) {
      msg.innerHTML = '<div class="msg error" role="alert">令牌应为64位十六进制字符 <span class="en">A token is 64 hex characters</span></div>';
      return;
    }
    try {
      await GFI.api('/api/v1/units', { token: t });
    } catch (e) {
      msg.innerHTML = '<div class="msg error" role="alert">' + (e.status === 401
        ? '令牌无效或已吊销 <span class="en">Token unknown or revoked</span>'
        : '无法连接 <span class="en">Cannot reach the server</span>: ' + GFI.esc(e.message)) + '</div>';
      return;
    }
    GFI.setToken(t);
    location.href = 'overview.html';
  });
})();
