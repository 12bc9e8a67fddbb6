import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * A secret in every place one can go: the QQ secret from the environment, the access token a token
 * endpoint hands out, a feed URL's userinfo password and ?token=, a webhook feed's literal token.
 * The fake QQ platform echoes every request back in its errors (as some servers do), so each secret
 * is offered to the CLI's output. None may appear in stdout, stderr, the log file or the data dir.
 */
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const Secrets = {
  qq: 'QQSECRET-zx81-very-secret',
  access: 'ACCESS-TOKEN-77aa99bb',
  feedPassword: 'FEEDPASS-3344xy',
  feedQuery: 'QUERYTOKEN-5566zz',
  webhook: 'WEBHOOK-TOKEN-literal-12345',
};

let server: Server;
let dir: string;
afterEach(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

/** The fake platform: `tokenOk` decides whether the token endpoint answers or fails. */
async function platform(tokenOk: boolean): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const echo = { message: `echo: ${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`, code: 11241 };
      if (req.url === '/app/getAppAccessToken' && tokenOk) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: Secrets.access, expires_in: '7200' }));
        return;
      }
      res.writeHead(req.url === '/app/getAppAccessToken' ? 500 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function run(args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, QQ_SECRET: Secrets.qq }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function everyFile(root: string): Promise<string> {
  let all = '';
  for (const name of await readdir(root)) {
    const path = join(root, name);
    all += (await stat(path)).isDirectory() ? await everyFile(path) : await readFile(path, 'latin1');
  }
  return all;
}

describe('no secret in any output', () => {
  for (const tokenOk of [false, true]) {
    it(`check and a failed start (${tokenOk ? 'the API echoes the access token' : 'the token endpoint echoes the secret'}) show none of them`, async () => {
      const base = await platform(tokenOk);
      dir = await mkdtemp(join(tmpdir(), 'sb-secrets-'));
      const config = join(dir, 'switchboard.yaml');
      await writeFile(
        config,
        `
dataDir: ./data
logLevel: trace
logFile: ./data/switchboard.log
adapters:
  console: { user: alice }
  qq:
    appId: "11111111"
    secret: \${QQ_SECRET}
    tokenUrl: ${base}/app/getAppAccessToken
    apiBase: ${base}
users:
  - { name: alice, tier: root, identities: [console:alice] }
feeds:
  - name: lab
    type: websocket
    url: ws://feeduser:${Secrets.feedPassword}@127.0.0.1:9/ws?token=${Secrets.feedQuery}
  - name: hooks
    type: webhook
    listen: 127.0.0.1:0
    token: ${Secrets.webhook}
routes:
  - match: {}
    notify: { tier: root }
`,
      );
      const check = await run(['check', '-c', config]);
      expect(check.code).toBe(0);
      const start = await run(['start', '-c', config], 'quit\n');
      expect(start.code).not.toBe(0);
      expect(start.out).toMatch(/could not start/);
      const files = await everyFile(join(dir, 'data')).catch(() => '');
      expect(files).toContain('"level"');
      for (const [where, text] of Object.entries({ check: check.out, start: start.out, 'data directory and log': files })) {
        for (const [name, secret] of Object.entries(Secrets)) {
          expect(text.includes(secret), `${name} in ${where}`).toBe(false);
          expect(text.includes(encodeURIComponent(secret)), `${name} (URL-encoded) in ${where}`).toBe(false);
        }
      }
    });
  }
});
