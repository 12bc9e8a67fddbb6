// The web console in a real browser: Debian's Chromium, headless, driven by playwright-core (no browser download).
// Signs in through a link taken from a chat reply, sees an alert arrive live, acks it and sees the ack in chat, is
// refused a change above its tier, and leaves a screenshot in test-results/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@switchboard/core/testing';
import { opsBridge, useOps } from '../fixtures.js';

useOps();

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(executablePath);
const artifacts = fileURLToPath(new URL('../../../../test-results/', import.meta.url));
// In CI the browser must be there (.ci/run installs it); on a developer's machine without it the test says so and skips.
if (!present && process.env.CI) throw new Error(`no Chromium at ${executablePath}: .ci/run installs Debian's chromium package`);
if (!present) console.warn(`skipping the browser tests: no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`);

let browser: Browser;
beforeAll(async () => {
  if (!present) return;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    // What this machine's closed network and a root user need: no sandbox, no background calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!present)('the web console in Chromium', () => {
  it('signs in from a chat link, shows an alert live, acks it into the chat, refuses what the tier may not do', async () => {
    const fx = await opsBridge();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 403/.test(message.text())) problems.push(message.text());
    });

    // Sign in with the link bob got in chat.
    const link = await fx.link('bob');
    await page.goto(link);
    await page.waitForURL(`${fx.base}/`);
    await expect.poll(() => page.locator('#who').textContent()).toContain('bob · admin');
    await page.getByText('No open alerts. All quiet.').waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'sb_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    // Given as text: the test is compiled without the DOM's types.
    expect(await page.evaluate('document.cookie')).toBe('');
    // The spent link does not sign in a second browser.
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(link);
    await second.getByText(/not valid/).waitFor();
    await other.close();

    // The feed fires: the alert appears without a reload.
    await page.waitForFunction("document.getElementById('live')?.classList.contains('on')");
    fx.fire('oven', 'critical', 'server room at 41 °C');
    fx.fire('freezer-2', 'error', 'door open for 10 minutes');
    const card = page.locator('[data-alert-id="1"]');
    await card.getByText('server room at 41 °C').waitFor({ timeout: 5000 });
    await page.locator('[data-alert-id="2"]').waitFor();
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}web-console.png` });

    // Ack from the page: the card changes, and the chat hears it.
    await card.getByRole('button', { name: 'Ack' }).click();
    await card.getByText('acked by bob').waitFor();
    await waitUntil(() => fx.inbox('bob').includes('You acknowledged #1. (from the web console)'), 'the ack in bob\'s chat');
    await waitUntil(() => fx.inbox('carol').some((t) => /#1 acknowledged by bob/.test(t)), 'the ack in carol\'s chat');
    expect(fx.relay.context!.alerts.get(1)).toMatchObject({ status: 'acknowledged', ackedBy: 'bob' });

    // Above bob's tier: making carol root is refused, and the page says why.
    await page.getByRole('button', { name: 'Users' }).click();
    await page.getByLabel('Tier carol').selectOption('root');
    await expect.poll(() => page.locator('#toast.bad').textContent()).toMatch(/cannot grant root/);
    expect(fx.bridge.directory.get('carol')?.tier).toBe('user');
    const refused = (await fx.bridge.audit.latest({ limit: 20 })).find((e) => e.via === 'web' && e.command === 'promote');
    expect(refused).toMatchObject({ actor: 'bob', args: ['carol', 'root'], outcome: 'refused' });
    await page.screenshot({ path: `${artifacts}web-console-users.png` });

    expect(problems).toEqual([]);
    await context.close();
  });

  it('a user\'s page offers only what a user may do, and the API refuses the rest', async () => {
    const fx = await opsBridge();
    fx.fire('oven', 'error', 'too hot');
    await waitUntil(() => fx.relay.context!.alerts.open().length === 1, 'the alert');
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(await fx.link('carol'));
    const card = page.locator('[data-alert-id="1"]');
    await card.waitFor();
    expect(await card.getByRole('button', { name: 'Ack' }).count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Users' }).count()).toBe(0);
    // Past the page: a hand-made request with the session's own CSRF token is still refused by tier.
    const status = await page.evaluate(async () => {
      const me = (await (await fetch('/api/session')).json()) as { csrf: string };
      const res = await fetch('/api/alerts/1/resolve', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: '{}' });
      return res.status;
    });
    expect(status).toBe(403);
    expect(fx.relay.context!.alerts.get(1)?.status).toBe('firing');
    await context.close();
  });
});
