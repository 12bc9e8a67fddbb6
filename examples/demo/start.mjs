#!/usr/bin/env node
// `npm start`: run the demo device feed and the bridge together, the bridge in this terminal.
// When the bridge exits (quit, Ctrl-D, Ctrl-C), the feed is stopped too.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// `--lang zh-CN` is the bridge's (the config's `locale`); the other options are the feed's.
const args = [];
const env = { ...process.env };
const given = process.argv.slice(2);
for (let i = 0; i < given.length; i++) {
  if (given[i] === '--lang') env.DEMO_LOCALE = given[++i] ?? '';
  else if (given[i].startsWith('--lang=')) env.DEMO_LOCALE = given[i].slice('--lang='.length);
  else args.push(given[i]);
}
const feed = spawn(process.execPath, [here('./feed.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  feed.once('exit', (code) => reject(new Error(`the demo feed exited early (${code}); is port 8765 in use? set DEMO_FEED_PORT`)));
  createInterface({ input: feed.stdout }).once('line', resolve);
}).catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});

const bridge = spawn(process.execPath, [here('../../packages/cli/dist/bin.js'), 'start', '-c', here('./switchboard.yaml')], { stdio: 'inherit', env });
// Ctrl-C reaches both children through the terminal; the bridge handles it gracefully.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => bridge.kill('SIGTERM'));
bridge.on('exit', (code, signal) => {
  feed.kill('SIGTERM');
  process.exitCode = code ?? (signal ? 1 : 0);
});
