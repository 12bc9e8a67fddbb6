#!/usr/bin/env node
// The demo device feed: a small WebSocket server of simulated devices that the demo config's relay
// subscribes to. Each frame is JSON: {type, device, kind, state, severity, message, ts}.
// On connect a client first gets every device's current state (a snapshot), then changes as they happen.
//
//   node examples/demo/feed.mjs [--port 8765] [--speed 1] [--scripted]
//
// --speed scales time (2 = twice as fast). --scripted turns the simulation off: devices change only
// when told on stdin, one command a line: `set DEVICE STATE SEVERITY MESSAGE…` (used by the tests).
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.DEMO_FEED_PORT ?? '8765' },
    speed: { type: 'string', default: '1' },
    scripted: { type: 'boolean', default: false },
  },
});
const speed = Number(values.speed);
const every = (ms, fn) => (values.scripted ? undefined : setInterval(fn, ms / speed));

const devices = {
  'thermo-1': { kind: 'temperature', state: 'ok', severity: 'info', message: 'Server room at 24.0 °C' },
  'switch-1': { kind: 'automation', state: 'idle', severity: 'info', message: 'Switch automation idle' },
  'printer-1': { kind: 'printer', state: 'idle', severity: 'info', message: 'Printer ready' },
};

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(values.port) });
const frame = (device) => JSON.stringify({ type: 'state', device, ...devices[device], ts: Date.now() });
const broadcast = (device) => {
  for (const client of server.clients) if (client.readyState === 1) client.send(frame(device));
};
const set = (device, patch) => {
  Object.assign(devices[device], patch);
  broadcast(device);
};

server.on('connection', (socket) => {
  socket.send(JSON.stringify({ type: 'hello', devices: Object.keys(devices) }));
  socket.send(JSON.stringify(Object.keys(devices).map((d) => JSON.parse(frame(d)))));
  // Commands from the bridge's actions: `hatch` starts a run on the Switch, and is acknowledged.
  socket.on('message', (data) => {
    let command;
    try {
      command = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (command?.op !== 'hatch') return;
    const ack = (ok, message) => socket.send(JSON.stringify({ type: 'ack', op: 'hatch', ok, message }));
    if (devices['switch-1'].state === 'running') return ack(false, 'a run is already under way; nothing started');
    set('switch-1', { state: 'running', severity: 'info', message: `Automation run started by ${command.by ?? 'someone'} (egg hatching)` });
    ack(true, 'the Switch started an egg-hatching run');
  });
});

// Thermometer: a reading every 2 s; now and then it climbs into "hot" and "overheat", then cools down.
let temperature = 24;
let heating = false;
every(2000, () => {
  if (!heating && Math.random() < 0.08) heating = true;
  temperature += heating ? 6 + Math.random() * 4 : (24 - temperature) * 0.4 + (Math.random() - 0.5);
  if (temperature > 85) heating = false;
  const state = temperature >= 80 ? 'overheat' : temperature >= 60 ? 'hot' : 'ok';
  const severity = { ok: 'info', hot: 'warning', overheat: 'critical' }[state];
  set('thermo-1', { state, severity, message: `Server room at ${temperature.toFixed(1)} °C` });
});

// A Switch automation run (an EasyCon script): starts, then finishes or fails.
every(15000, () => {
  const run = devices['switch-1'];
  if (run.state !== 'running') {
    set('switch-1', { state: 'running', severity: 'info', message: 'Automation run started (egg hatching)' });
  } else if (Math.random() < 0.3) {
    set('switch-1', { state: 'failed', severity: 'error', message: 'Automation run failed: controller not responding' });
  } else {
    set('switch-1', { state: 'finished', severity: 'info', message: `Automation run finished: ${1 + Math.floor(Math.random() * 30)} eggs hatched` });
  }
});

// The printer: prints, sometimes jams, gets cleared.
every(9000, () => {
  const printer = devices['printer-1'];
  if (printer.state === 'jammed') set('printer-1', { state: 'idle', severity: 'info', message: 'Paper jam cleared; printer ready' });
  else if (printer.state === 'printing') {
    if (Math.random() < 0.25) set('printer-1', { state: 'jammed', severity: 'error', message: 'Paper jam in tray 2' });
    else set('printer-1', { state: 'idle', severity: 'info', message: 'Print job done' });
  } else if (Math.random() < 0.6) set('printer-1', { state: 'printing', severity: 'info', message: 'Printing a 12-page job' });
});

if (values.scripted) {
  const { createInterface } = await import('node:readline');
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, device, state, severity, ...message] = line.trim().split(/\s+/);
    if (command !== 'set' || !devices[device] || !state || !severity) {
      process.stderr.write(`feed: cannot do "${line}"; use: set DEVICE STATE SEVERITY MESSAGE…\n`);
      return;
    }
    set(device, { state, severity, message: message.join(' ') || `${device} is ${state}` });
  });
}

server.on('listening', () => process.stdout.write(`demo feed listening on ws://127.0.0.1:${server.address().port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
