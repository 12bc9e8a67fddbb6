// Two `switchboard start` processes on one Redis prefix with `standby: true`: one is active, the other waits.
// SIGKILL the active one and the standby takes over within the lock's ttl, with the state the first left; pause the
// active one past its ttl instead, and when it wakes its writes are fenced and it stops (exit 1) rather than run twice.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli, useCliProcesses, useRedis, useTempDir } from './fixtures.js';

const redis = useRedis();
const dir = useTempDir('sb-failover-');
useCliProcesses();
let n = 0;

async function config(): Promise<string> {
  const file = join(dir(), `switchboard-${++n}.yaml`);
  await writeFile(
    file,
    `
dataDir: ./data-${n}
store: { type: redis, url: "${redis.url}", prefix: "fo${n}:", standby: true, lockTtl: 2000 }
adapters:
  console: { user: alice }
users:
  - { name: alice, tier: root, identities: [console:alice] }
  - { name: carol, tier: user, identities: [console:carol] }
`,
  );
  return file;
}

const bridge = (file: string) => startCli(['start', '-c', file]);

describe.skipIf(!redis.present)('active and standby on one Redis', () => {
  it('the standby takes over within the ttl after SIGKILL, with the state the active one left', async () => {
    const file = await config();
    const a = bridge(file);
    await a.waitFor(/Switchboard is running/, 'A to run');
    const b = bridge(file);
    await b.waitFor(/standing by/, 'B to stand by');
    a.say('promote carol');
    await a.waitFor(/carol is now admin/, 'the promotion on A');
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await b.waitFor(/Switchboard is running/, 'B to take over');
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(10_000);
    b.say('users');
    await b.waitFor(/carol \(admin\)/, 'the directory A left');
    b.say('quit');
    expect(await b.exited).toBe(0);
    console.log(`standby took over ${takeover} ms after the SIGKILL (lock ttl 2000 ms)`);
  });

  it('an active instance paused past its ttl is fenced when it wakes, and stops instead of running twice', async () => {
    const file = await config();
    const a = bridge(file);
    await a.waitFor(/Switchboard is running/, 'A to run');
    const b = bridge(file);
    await b.waitFor(/standing by/, 'B to stand by');
    a.child.kill('SIGSTOP');
    await b.waitFor(/Switchboard is running/, 'B to take over');
    a.child.kill('SIGCONT');
    a.say('promote carol'); // a write A may no longer make
    expect(await a.exited).toBe(1);
    expect(a.output()).toMatch(/lost the Redis store lock to another instance/);
    b.say('users');
    await b.waitFor(/carol \(user\)/, 'B unchanged by A');
    b.say('quit');
    expect(await b.exited).toBe(0);
  });
});
