// The active instance's QQ adapter on the cluster queue: a record is acknowledged only once its command has ended;
// one an instance that died had begun (its id stored, its record never acknowledged) is not run again, and its
// sender is told it may or may not have run; one it had only read is run by the next.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Bridge, MemoryStore, silentLogger } from '@switchboard/core';
import { waitUntil as until } from '@switchboard/core/testing';
import { QqAdapter, QqConfigSchema } from '@switchboard/adapter-qq';
import { FakeQqHttp } from '@switchboard/adapter-qq/testing';
import { RedisCluster } from '../src/RedisCluster.js';
import { useRedis } from './fixtures.js';

const redis = useRedis();
const secret = 'queue-secret-0123456789';

const c2c = (id: string, content: string) => ({
  payload: { op: 0, t: 'C2C_MESSAGE_CREATE', id, d: { id, content, timestamp: new Date().toISOString(), author: { user_openid: 'U1' } } },
  shard: 0,
});

describe.skipIf(!redis.present)('the active instance on the cluster queue', () => {
  it('acknowledges a record once its command ended; of what a dead instance held, runs what it had not begun and owns up to what it had', async () => {
    const prefix = 'q1:';
    const key = `${prefix}queue:qq:10001`;
    const admin = new Redis(redis.url);
    const http = new FakeQqHttp('10001', secret);
    await http.start();
    const cluster = new RedisCluster(redis.url, prefix, 'survivor', silentLogger);
    try {
      // The dead instance: it had read BEGUN and READ, and stored BEGUN's id (its command had started).
      await admin.xgroup('CREATE', key, 'active', '0', 'MKSTREAM');
      for (const [id, text] of [['BEGUN', 'slow 1'], ['READ', 'slow 2']] as const) {
        http.issueMsgId(id, { kind: 'user', id: 'U1' });
        await admin.xadd(key, '*', 'r', JSON.stringify(c2c(id, text)));
      }
      await admin.xreadgroup('GROUP', 'active', 'dead', 'COUNT', 10, 'STREAMS', key, '>');
      const store = new MemoryStore();
      await store.journal('qq-seen-10001').append([{ i: 'BEGUN', t: Date.now() }]);
      Object.defineProperty(store, 'cluster', { value: cluster });

      const adapter = new QqAdapter({ config: QqConfigSchema.parse({ appId: '10001', secret, apiBase: http.base, tokenUrl: `${http.base}/app/getAppAccessToken` }) });
      const bridge = new Bridge({ store, adapters: [adapter], users: [{ name: 'ann', tier: 'root', identities: [{ platform: 'qq', id: 'U1' }] }], outbox: { retryBaseMs: 10, retryMaxMs: 40 } });
      const ran: string[] = [];
      let finish!: () => void;
      const gate = new Promise<void>((r) => (finish = r));
      bridge.registry.register({
        name: 'slow',
        kind: 'control',
        minTier: 'user',
        description: 'waits for the test',
        run: async (ctx) => {
          ran.push(ctx.argText);
          await gate;
          return ctx.reply(`done ${ctx.argText}`);
        },
      });
      await bridge.start();

      await until(() => http.sent.some((s) => String(s.body.content).includes('may or may not have run')), 'the notice for BEGUN');
      const notice = http.sent.find((s) => String(s.body.content).includes('may or may not have run'))!;
      expect(notice.replyTo).toBe('BEGUN');
      expect(String(notice.body.content)).toContain('命令可能已执行');
      await until(() => ran.includes('2'), 'READ to run on the survivor');
      expect(ran).toEqual(['2']);
      // Running, not ended: its record stays pending, so a death now would hand it on again.
      await new Promise((r) => setTimeout(r, 200));
      expect(((await admin.xpending(key, 'active')) as [number])[0]).toBe(1);
      finish();
      await until(() => http.sent.some((s) => s.body.content === 'done 2' && s.replyTo === 'READ'), 'the reply to READ');
      for (let i = 0; i < 50 && ((await admin.xpending(key, 'active')) as [number])[0] > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(((await admin.xpending(key, 'active')) as [number])[0]).toBe(0);
      expect(await admin.xlen(key)).toBe(0);
      await bridge.stop();
    } finally {
      await cluster.close();
      await admin.quit();
      await http.stop();
    }
  });
});
