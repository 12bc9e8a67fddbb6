import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DirectoryError, MemoryStore, systemActor, UserDirectory, type Store, type User } from '@switchboard/core';

const system = systemActor('test');

async function directoryWith(...specs: [string, 'root' | 'admin' | 'user'][]): Promise<UserDirectory> {
  const directory = new UserDirectory(new MemoryStore());
  await directory.load();
  for (const [name, tier] of specs) await directory.add(system, { name, tier, identities: [{ platform: 'console', id: name }] });
  return directory;
}

const user = (d: UserDirectory, name: string): User => d.get(name)!;

async function refusal(promise: Promise<unknown>): Promise<DirectoryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DirectoryError);
  return error as DirectoryError;
}

describe('UserDirectory tier rules', () => {
  it('refuses to grant a tier above the actor’s own', async () => {
    const d = await directoryWith(['root1', 'root'], ['ada', 'admin'], ['uma', 'user']);
    const e = await refusal(d.add(user(d, 'ada'), { name: 'eve', tier: 'root' }));
    expect(e.code).toBe('TIER_ABOVE_OWN');
    expect(e.message).toMatch(/cannot grant root: it is above your own tier \(admin\)/);
    expect(d.get('eve')).toBeUndefined();
    const promote = await refusal(d.setTier(user(d, 'ada'), 'uma', 'root'));
    expect(promote.code).toBe('TIER_ABOVE_OWN');
    expect(user(d, 'uma').tier).toBe('user');
  });

  it('lets an admin add users and admins (not above their own tier)', async () => {
    const d = await directoryWith(['root1', 'root'], ['ada', 'admin']);
    await d.add(user(d, 'ada'), { name: 'uma', tier: 'user' });
    await d.add(user(d, 'ada'), { name: 'adam', tier: 'admin' });
    expect(d.list().map((u) => `${u.name}:${u.tier}`)).toEqual(['root1:root', 'ada:admin', 'adam:admin', 'uma:user']);
  });

  it('refuses changes to users at or above the actor’s tier, including themselves', async () => {
    const d = await directoryWith(['root1', 'root'], ['ada', 'admin'], ['adam', 'admin'], ['uma', 'user']);
    const peer = await refusal(d.remove(user(d, 'ada'), 'adam'));
    expect(peer.code).toBe('TARGET_NOT_BELOW');
    expect(peer.message).toMatch(/cannot change adam \(admin\)/);
    expect((await refusal(d.setTier(user(d, 'ada'), 'adam', 'user'))).code).toBe('TARGET_NOT_BELOW');
    expect((await refusal(d.remove(user(d, 'ada'), 'root1'))).code).toBe('TARGET_NOT_BELOW');
    const self = await refusal(d.setTier(user(d, 'ada'), 'ada', 'user'));
    expect(self.message).toMatch(/cannot change yourself/);
    expect((await refusal(d.remove(user(d, 'uma'), 'uma'))).code).toBe('TARGET_NOT_BELOW');
    // Below the actor is fine.
    await d.setTier(user(d, 'ada'), 'uma', 'admin');
    expect(user(d, 'uma').tier).toBe('admin');
  });

  it('lets root change other roots, but never removes or demotes the last root', async () => {
    const d = await directoryWith(['r1', 'root'], ['r2', 'root']);
    await d.setTier(user(d, 'r1'), 'r2', 'admin');
    const demote = await refusal(d.setTier(user(d, 'r1'), 'r1', 'admin'));
    expect(demote.code).toBe('LAST_ROOT');
    expect(demote.message).toMatch(/r1 is the last root and cannot be demoted/);
    const remove = await refusal(d.remove(user(d, 'r1'), 'r1'));
    expect(remove.message).toMatch(/cannot be removed/);
    // Not even the system actor (the offline CLI) may do it.
    expect((await refusal(d.remove(system, 'r1'))).code).toBe('LAST_ROOT');
    expect(user(d, 'r1').tier).toBe('root');
  });

  it('refuses duplicate names, taken identities, bad names and bad tiers', async () => {
    const d = await directoryWith(['root1', 'root']);
    expect((await refusal(d.add(system, { name: 'ROOT1', tier: 'user' }))).code).toBe('USER_EXISTS');
    const taken = await refusal(d.add(system, { name: 'x', tier: 'user', identities: [{ platform: 'console', id: 'root1' }] }));
    expect(taken.message).toBe('console:root1 already belongs to root1');
    expect((await refusal(d.add(system, { name: 'bad name!', tier: 'user' }))).code).toBe('BAD_NAME');
    expect((await refusal(d.setTier(system, 'root1', 'god' as never))).code).toBe('BAD_TIER');
    expect((await refusal(d.remove(system, 'nobody'))).message).toBe('there is no user named nobody');
  });

  it('persists each change before acknowledging it, and emits it on changes$ afterwards', async () => {
    const store = new MemoryStore();
    const d = new UserDirectory(store);
    await d.load();
    const changes = firstValueFrom(d.changes$.pipe(take(2), toArray()));
    await d.add(system, { name: 'root1', tier: 'root', identities: [{ platform: 'qq', id: 'A' }] });
    await d.add(system, { name: 'bob', tier: 'user' });
    expect((await changes).map((c) => `${c.type}:${c.user.name}`)).toEqual(['added:root1', 'added:bob']);

    const reloaded = new UserDirectory(store);
    await reloaded.load();
    expect(reloaded.byIdentity({ platform: 'qq', id: 'A' })?.name).toBe('root1');
    expect(reloaded.get('bob')?.tier).toBe('user');
  });

  it('leaves the directory unchanged and emits nothing when the write fails', async () => {
    const store = new MemoryStore();
    const d = new UserDirectory(store);
    await d.load();
    await d.add(system, { name: 'root1', tier: 'root' });
    await d.add(system, { name: 'bob', tier: 'user' });
    const failing: Store = Object.assign(Object.create(store) as Store, {
      put: () => Promise.reject(new Error('disk full')),
    });
    const broken = new UserDirectory(failing);
    await broken.load();
    const seen: string[] = [];
    broken.changes$.subscribe((c) => seen.push(c.type));
    await expect(broken.setTier(system, 'bob', 'admin')).rejects.toThrow('disk full');
    expect(broken.get('bob')?.tier).toBe('user');
    expect(seen).toEqual([]);
  });

  it('seeds config users once: runtime changes and removals survive a restart', async () => {
    const store = new MemoryStore();
    const config = [
      { name: 'alice', tier: 'root' as const, identities: [{ platform: 'console', id: 'alice' }] },
      { name: 'carol', tier: 'user' as const, identities: [{ platform: 'console', id: 'carol' }] },
      { name: 'dave', tier: 'user' as const },
    ];
    const first = new UserDirectory(store);
    await first.load();
    expect(await first.seed(config)).toEqual(['alice', 'carol', 'dave']);
    await first.setTier(user(first, 'alice'), 'carol', 'admin');
    await first.remove(user(first, 'alice'), 'dave');

    const second = new UserDirectory(store);
    await second.load();
    expect(await second.seed([...config, { name: 'carol', tier: 'user', identities: [{ platform: 'qq', id: 'C' }] }])).toEqual([]);
    expect(second.get('carol')?.tier).toBe('admin');
    expect(second.get('dave')).toBeUndefined();
    expect(second.byIdentity({ platform: 'qq', id: 'C' })?.name).toBe('carol');
  });

  it('lets users manage their own subscriptions and mutes, but not other people’s', async () => {
    const d = await directoryWith(['root1', 'root'], ['uma', 'user'], ['ulf', 'user']);
    await d.setSubscriptions(user(d, 'uma'), 'uma', ['printer', 'printer', 'thermo']);
    expect(user(d, 'uma').subscriptions).toEqual(['printer', 'thermo']);
    await d.setMutedUntil(user(d, 'uma'), 'uma', 5000);
    expect(user(d, 'uma').mutedUntil).toBe(5000);
    await d.setMutedUntil(user(d, 'uma'), 'uma', undefined);
    expect(user(d, 'uma').mutedUntil).toBeUndefined();
    expect((await refusal(d.setSubscriptions(user(d, 'ulf'), 'uma', []))).code).toBe('TARGET_NOT_BELOW');
  });
});

describe('where people last wrote from', () => {
  it('writes the notes of many people writing at once together, persists them, and writes nothing for a platform already noted', async () => {
    const store = new MemoryStore();
    let puts = 0;
    const put = store.put.bind(store);
    store.put = (key: string, value: unknown) => {
      puts++;
      return put(key, value);
    };
    const d = new UserDirectory(store);
    await d.load();
    const names = Array.from({ length: 200 }, (_, i) => `u${i}`);
    await d.seed(names.map((name) => ({ name, tier: 'user' as const })));
    puts = 0;
    await Promise.all(names.map((name, i) => d.noteSeen(name, i % 2 ? 'qq' : 'wechat')));
    expect(puts).toBeLessThanOrEqual(2);
    expect(names.every((name, i) => d.get(name)!.lastPlatform === (i % 2 ? 'qq' : 'wechat'))).toBe(true);
    puts = 0;
    await Promise.all(names.map((name, i) => d.noteSeen(name, i % 2 ? 'qq' : 'wechat')));
    expect(puts).toBe(0);
    const reloaded = new UserDirectory(store);
    await reloaded.load();
    expect(reloaded.get('u1')!.lastPlatform).toBe('qq');
  });
});

describe('user names', () => {
  it('normalises names (NFKC) and refuses lookalikes of an existing user, other scripts included', async () => {
    const d = await directoryWith(['alice', 'root'], ['bob', 'admin']);
    const root = user(d, 'alice');
    expect((await d.add(root, { name: 'ｃａｒｏｌ', tier: 'user' })).name).toBe('carol');
    expect(d.get('ＣＡＲＯＬ')?.name).toBe('carol');
    expect((await refusal(d.add(root, { name: '\u0430lice', tier: 'user' }))).code).toBe('BAD_NAME');
    for (const lookalike of ['ALICE', 'al1ce', 'a.lice', 'b0b', 'bob_']) {
      const e = await refusal(d.add(root, { name: lookalike, tier: 'user' }));
      expect(['NAME_CONFUSABLE', 'USER_EXISTS']).toContain(e.code);
    }
    expect((await refusal(d.add(root, { name: 'al1ce', tier: 'user' }))).message).toBe(
      '"al1ce" looks too much like the existing user "alice"; choose a name nobody can mistake for it',
    );
    expect((await d.add(root, { name: '张三', tier: 'user' })).name).toBe('张三');
  });
});
