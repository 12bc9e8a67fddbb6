// The Switchboard web console: plain DOM, no framework, no build step. Everything shown is fetched
// from /api with the session cookie; live events only say which part to fetch again.

const T = {
  en: {
    alerts: 'Alerts', devices: 'Devices', silences: 'Silences', users: 'Users', deliveries: 'Deliveries', audit: 'Audit',
    noAlerts: 'No open alerts. All quiet.', closed: 'Recently closed', ack: 'Ack', unack: 'Unack', resolve: 'Resolve', snooze: 'Snooze 1h',
    ackedBy: 'acked by {0}', firing: 'firing', acknowledged: 'acknowledged', resolved: 'resolved', times: '×{0}', ago: '{0} ago', snoozed: 'snoozed',
    feeds: 'Feeds', noFeeds: 'No feeds.', noDevices: 'No devices yet.', lastFrame: 'last frame {0} ago', noFrame: 'no frame yet', frames: '{0} frames · {1} reconnects · {2} malformed',
    newSilence: 'New silence', matchers: 'Matchers (device=pump-1, severity=critical)', duration: 'Duration (2h)', reason: 'Reason', create: 'Create', end: 'End',
    noSilences: 'No silences in force.', ends: 'ends in {0}', by: 'by {0}', tier: 'Tier', noDeliveries: 'Nothing delivered since start.', pending: '{0} pending',
    noAudit: 'The audit log is empty.', signedOut: 'Not signed in. Send "web" to the bot in a one-to-one chat for a login link.', logout: 'Sign out', done: 'Done', live: 'live', offline: 'reconnecting',
  },
  'zh-CN': {
    alerts: '告警', devices: '数据源与设备', silences: '屏蔽', users: '用户', deliveries: '投递', audit: '审计',
    noAlerts: '没有未关闭的告警，一切正常。', closed: '最近关闭', ack: '确认', unack: '取消确认', resolve: '解决', snooze: '暂缓 1 小时',
    ackedBy: '{0} 已确认', firing: '告警中', acknowledged: '已确认', resolved: '已解决', times: '×{0}', ago: '{0}前', snoozed: '已暂缓',
    feeds: '数据源', noFeeds: '没有数据源。', noDevices: '还没有设备。', lastFrame: '最后一帧 {0}前', noFrame: '尚无数据', frames: '{0} 帧 · 重连 {1} 次 · 异常 {2}',
    newSilence: '新建屏蔽', matchers: '条件（device=pump-1, severity=critical）', duration: '时长（2h）', reason: '原因', create: '创建', end: '结束',
    noSilences: '没有生效的屏蔽。', ends: '{0}后结束', by: '由 {0}', tier: '权限', noDeliveries: '启动以来没有投递。', pending: '{0} 条待发',
    noAudit: '审计日志为空。', signedOut: '未登录。请在一对一聊天中给机器人发送“web”获取登录链接。', logout: '退出', done: '完成', live: '实时', offline: '重连中',
  },
};

let me;
let tab = 'alerts';
const data = {};
const t = (key, ...args) => (T[me?.locale] ?? T.en)[key]?.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)])) ?? key;
const $ = (id) => document.getElementById(id);

/** Build an element; strings become text nodes, so nothing from the server is ever parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) || ''}${s % 3600 >= 60 ? 'm' : ''}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

function toast(text, bad = false) {
  const el = $('toast');
  el.textContent = text;
  el.className = bad ? 'toast bad' : 'toast';
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, bad ? 6000 : 2500);
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me?.csrf ?? '' }, body: JSON.stringify(body) };
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) signedOut();
  if (!res.ok) throw Object.assign(new Error(json.error || `HTTP ${res.status}`), { status: res.status });
  return json;
}

async function act(path, body) {
  try {
    await api(path, body);
    toast(t('done'));
  } catch (error) {
    toast(error.message, true);
  }
}

const sections = {
  alerts: { can: (c) => c.alerts, load: () => api('/api/alerts'), view: alertsView },
  devices: { can: (c) => c.devices || c.feeds, load: () => api('/api/feeds'), view: devicesView },
  silences: { can: (c) => c.silences, load: () => api('/api/silences'), view: silencesView },
  users: { can: (c) => c.users, load: () => api('/api/users'), view: usersView },
  deliveries: { can: (c) => c.deliveries, load: () => api('/api/deliveries'), view: deliveriesView },
  audit: { can: (c) => c.audit, load: () => api('/api/audit'), view: auditView },
};
const topics = { alerts: ['alerts'], silences: ['silences'], feeds: ['devices'], devices: ['devices'], users: ['users'], deliveries: ['deliveries'], audit: ['audit'] };

function alertsView({ open, closed }) {
  const now = Date.now();
  const card = (a, live) =>
    h('article', { class: `card sev-${a.severity} st-${a.status}`, 'data-alert-id': a.id },
      h('div', { class: 'row' },
        h('span', { class: 'badge' }, a.severity), h('strong', {}, `#${a.id}`), h('span', { class: 'dev' }, `${a.source}/${a.device}`),
        h('span', { class: 'right muted' }, t('ago', age(now - a.openedAt)))),
      h('p', { class: 'text' }, a.text),
      h('div', { class: 'row muted small' },
        h('span', { class: 'status' }, a.status === 'acknowledged' ? t('ackedBy', a.ackedBy) : t(a.status)),
        a.count > 1 ? h('span', {}, t('times', a.count)) : null,
        a.snoozedUntil && a.snoozedUntil > now ? h('span', {}, t('snoozed')) : null),
      live ? h('div', { class: 'actions' },
        a.status === 'firing' && me.can.ack ? h('button', { class: 'primary', 'data-act': 'ack', onclick: () => act(`/api/alerts/${a.id}/ack`, {}) }, t('ack')) : null,
        a.status === 'acknowledged' && me.can.unack ? h('button', { 'data-act': 'unack', onclick: () => act(`/api/alerts/${a.id}/unack`, {}) }, t('unack')) : null,
        me.can.snooze ? h('button', { 'data-act': 'snooze', onclick: () => act(`/api/alerts/${a.id}/snooze`, { duration: '1h' }) }, t('snooze')) : null,
        me.can.resolve ? h('button', { class: 'danger', 'data-act': 'resolve', onclick: () => act(`/api/alerts/${a.id}/resolve`, {}) }, t('resolve')) : null) : null);
  return [
    open.length === 0 ? h('p', { class: 'empty' }, t('noAlerts')) : h('div', { class: 'list', id: 'open-alerts' }, open.map((a) => card(a, true))),
    closed.length > 0 ? h('details', {}, h('summary', {}, `${t('closed')} (${closed.length})`), h('div', { class: 'list' }, closed.map((a) => card(a, false)))) : null,
  ];
}

function devicesView({ feeds, devices, now }) {
  return [
    me.can.feeds ? h('h2', {}, t('feeds')) : null,
    me.can.feeds ? (feeds.length === 0 ? h('p', { class: 'empty' }, t('noFeeds')) : h('div', { class: 'list' }, feeds.map((f) =>
      h('article', { class: `card feed st-${f.state}` },
        h('div', { class: 'row' }, h('span', { class: `dot ${f.state}` }), h('strong', {}, f.name), h('span', { class: 'muted' }, f.kind), h('span', { class: 'right' }, f.state)),
        h('div', { class: 'row muted small' }, f.lastFrameAt ? t('lastFrame', age(now - f.lastFrameAt)) : t('noFrame'), ' · ', t('frames', f.frames, f.reconnects, f.malformed), f.detail ? ` · ${f.detail}` : ''))))) : null,
    me.can.devices ? h('h2', {}, t('devices')) : null,
    me.can.devices ? (devices.length === 0 ? h('p', { class: 'empty' }, t('noDevices')) : h('div', { class: 'list' }, devices.map((d) =>
      h('article', { class: `card sev-${d.resolved ? 'ok' : d.severity}` },
        h('div', { class: 'row' }, h('strong', {}, `${d.source}/${d.key}`), h('span', { class: 'right badge' }, d.state)),
        h('p', { class: 'text' }, d.text),
        h('div', { class: 'row muted small' }, t('ago', age(now - d.at)), ' · ', `${d.topic}`))))) : null,
  ];
}

function silencesView({ silences }) {
  const now = Date.now();
  const form = me.can.silence ? h('form', { class: 'card form', id: 'silence-form', onsubmit: (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    act('/api/silences', { matchers: f.get('matchers'), duration: f.get('duration'), reason: f.get('reason') }).then(() => e.target.reset());
  } },
    h('strong', {}, t('newSilence')),
    h('input', { name: 'matchers', placeholder: t('matchers'), required: true, autocomplete: 'off' }),
    h('div', { class: 'row' }, h('input', { name: 'duration', placeholder: t('duration'), required: true, size: 6 }), h('input', { name: 'reason', placeholder: t('reason') })),
    h('button', { class: 'primary', type: 'submit' }, t('create'))) : null;
  return [
    form,
    silences.length === 0 ? h('p', { class: 'empty' }, t('noSilences')) : h('div', { class: 'list' }, silences.map((s) =>
      h('article', { class: 'card' },
        h('div', { class: 'row' }, h('strong', {}, `#${s.id}`), h('code', {}, s.matchers), h('span', { class: 'right muted' }, t('ends', age(s.endsAt - now)))),
        h('div', { class: 'row muted small' }, t('by', s.createdBy), s.reason ? ` · ${s.reason}` : ''),
        me.can.unsilence ? h('div', { class: 'actions' }, h('button', { onclick: () => act(`/api/silences/${s.id}/end`, {}) }, t('end'))) : null))),
  ];
}

function usersView({ users, tiers }) {
  const canChange = me.can.promote || me.can.demote;
  return h('div', { class: 'list' }, users.map((u) =>
    h('article', { class: 'card', 'data-user': u.name },
      h('div', { class: 'row' }, h('strong', {}, u.name), h('span', { class: 'muted small' }, u.identities.join(', ')),
        h('span', { class: 'right' }, canChange && u.name !== me.user
          ? h('select', { 'aria-label': `${t('tier')} ${u.name}`, onchange: (e) => act(`/api/users/${encodeURIComponent(u.name)}/tier`, { tier: e.target.value }).then(() => refresh('users')) },
            tiers.map((tier) => h('option', { value: tier, selected: tier === u.tier }, tier)))
          : h('span', { class: 'badge' }, u.tier))))));
}

function deliveriesView({ deliveries, pending }) {
  return [
    h('p', { class: 'muted' }, t('pending', pending)),
    deliveries.length === 0 ? h('p', { class: 'empty' }, t('noDeliveries')) : h('div', { class: 'list' }, deliveries.map((d) =>
      h('article', { class: `card compact st-${d.status}` },
        h('div', { class: 'row' }, h('span', { class: 'badge' }, d.status), h('code', {}, d.to), h('span', { class: 'right muted' }, t('ago', age(Date.now() - d.at)))),
        d.reason ? h('div', { class: 'small reason' }, d.reason) : null))),
  ];
}

function auditView({ entries }) {
  return entries.length === 0 ? h('p', { class: 'empty' }, t('noAudit')) : h('div', { class: 'list' }, entries.map((e) =>
    h('article', { class: `card compact out-${e.outcome}` },
      h('div', { class: 'row' }, h('strong', {}, e.actor), h('code', {}, [e.command, ...e.args].join(' ')), h('span', { class: 'badge' }, e.outcome),
        h('span', { class: 'right muted small' }, `${e.via ?? 'chat'} · ${new Date(e.at).toLocaleString()}`)),
      e.detail ? h('div', { class: 'small reason' }, e.detail) : null)));
}

async function refresh(name) {
  const section = sections[name];
  if (!section || !section.can(me.can)) return;
  try {
    data[name] = await section.load();
  } catch (error) {
    if (error.status !== 401) toast(error.message, true);
    return;
  }
  if (name === tab) render();
}

function render() {
  const main = $('main');
  const value = data[tab];
  main.replaceChildren(...[value ? sections[tab].view(value) : h('p', { class: 'muted' }, '…')].flat().filter(Boolean));
  for (const button of $('tabs').children) button.setAttribute('aria-current', button.dataset.tab === tab ? 'page' : 'false');
}

function signedOut() {
  me = undefined;
  $('tabs').replaceChildren();
  $('who').replaceChildren();
  $('main').replaceChildren(h('p', { class: 'empty', id: 'signed-out' }, t('signedOut')));
}

function connect() {
  const events = new EventSource('/api/events');
  events.onopen = () => { $('live').className = 'live on'; $('live').title = t('live'); };
  events.onerror = () => { $('live').className = 'live'; $('live').title = t('offline'); };
  for (const topic of Object.keys(topics)) events.addEventListener(topic, () => { for (const name of topics[topic]) void refresh(name); });
}

async function boot() {
  try {
    me = await api('/api/session');
  } catch {
    signedOut();
    return;
  }
  document.documentElement.lang = me.locale;
  const names = Object.keys(sections).filter((name) => sections[name].can(me.can));
  tab = names.includes(location.hash.slice(1)) ? location.hash.slice(1) : names[0];
  $('tabs').replaceChildren(...names.map((name) => h('button', { 'data-tab': name, onclick: () => { tab = name; history.replaceState(null, '', `#${name}`); render(); void refresh(name); } }, t(name))));
  $('who').replaceChildren(h('span', {}, `${me.user} · ${me.tier}`), h('button', { class: 'link', onclick: () => api('/api/logout', {}).then(signedOut, signedOut) }, t('logout')));
  await Promise.all(names.map((name) => refresh(name)));
  render();
  connect();
  setInterval(() => { if (document.visibilityState === 'visible') render(); }, 10_000);
}

void boot();
