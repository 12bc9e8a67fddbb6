// Spend the one-time token from the link's fragment (#…), which never reaches a server log, then open the console.
const status = document.getElementById('login-status');
const token = location.hash.slice(1);
history.replaceState(null, '', '/login');
const zh = (navigator.language || '').toLowerCase().startsWith('zh');
const say = (en, cn) => { status.textContent = zh ? cn : en; };

if (!token) {
  say('This link has no login token. Send "web" to the bot for a new one.', '链接里没有登录凭据。请给机器人发送“web”获取新链接。');
} else {
  try {
    const res = await fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
    if (res.ok) location.replace('/');
    else {
      const body = await res.json().catch(() => ({}));
      status.textContent = body.error || `Sign-in failed (${res.status}).`;
      status.classList.add('error');
    }
  } catch {
    say('Could not reach the bridge. Try the link again.', '无法连接桥接服务，请重试链接。');
  }
}
