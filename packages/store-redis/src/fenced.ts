import type { Redis } from 'ioredis';

/**
 * Writes that check, in the same atomic step, that the lock holds this process's token: a process
 * that lost its lease (paused, cut off, then back after another took over) cannot write one more
 * document or record. Each fails with `FENCED` then. A lock that lapsed while nobody took it (Redis
 * was away longer than its ttl) is taken again by the write. KEYS[1] is the lock, ARGV[1] the
 * token, ARGV[2] the lock's ttl in ms.
 */
const Guard = `if ARGV[1] ~= '' then
  local holder = redis.call('get', KEYS[1])
  if holder == false then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) elseif holder ~= ARGV[1] then return redis.error_reply('FENCED') end
end`;

const Scripts = {
  sbFencedSet: {
    numberOfKeys: 2,
    lua: `${Guard}
return redis.call('set', KEYS[2], ARGV[3])`,
  },
  sbFencedAdd: {
    numberOfKeys: 2,
    lua: `${Guard}
return redis.call('xadd', KEYS[2], '*', 'r', ARGV[3])`,
  },
  sbFencedReplace: {
    numberOfKeys: 2,
    lua: `${Guard}
redis.call('del', KEYS[2])
for i = 3, #ARGV do redis.call('xadd', KEYS[2], '*', 'r', ARGV[i]) end
return #ARGV - 2`,
  },
} as const;

type Fenced = {
  [K in keyof typeof Scripts]: (lock: string, key: string, token: string, ttlMs: string, ...values: string[]) => Promise<unknown>;
};

/** The client with the fenced writes defined on it (sent as EVALSHA, loaded once). */
export function withFencedWrites(client: Redis): Redis & Fenced {
  for (const [name, script] of Object.entries(Scripts)) client.defineCommand(name, script);
  return client as Redis & Fenced;
}

/** Whether an error is a fenced write's refusal. */
export function isFenced(error: unknown): boolean {
  return error instanceof Error && /^FENCED/.test(error.message);
}
