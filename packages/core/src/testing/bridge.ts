import { Bridge, type BridgeOptions } from '../bridge/Bridge.js';
import type { CommandSpec } from '../commands/Command.js';
import { MemoryStore } from '../store/MemoryStore.js';
import type { Store } from '../store/Store.js';
import type { Tier } from '../domain/tiers.js';
import type { NewUser } from '../users/User.js';
import { MemoryAdapter, type MemoryAdapterOptions } from './MemoryAdapter.js';

/** A directory user known on the memory adapter by their name. */
export function memoryUser(name: string, tier: Tier): NewUser {
  return { name, tier, identities: [{ platform: 'memory', id: name }] };
}

export interface MemoryBridgeOptions {
  adapter?: MemoryAdapterOptions;
  store?: Store;
  commands?: CommandSpec[];
  /** Anything else a `Bridge` takes; `users` here replaces the three default people. */
  bridge?: Partial<BridgeOptions>;
}

/**
 * A started bridge on one memory adapter, with alice (root), bob (admin) and carol (user) known by their names.
 * Stop it with `bridge.stop()`.
 */
export async function startMemoryBridge(options: MemoryBridgeOptions = {}): Promise<{ bridge: Bridge; adapter: MemoryAdapter; store: Store }> {
  const adapter = new MemoryAdapter(options.adapter);
  const store = options.store ?? new MemoryStore();
  const bridge = new Bridge({
    store,
    adapters: [adapter],
    users: [memoryUser('alice', 'root'), memoryUser('bob', 'admin'), memoryUser('carol', 'user')],
    ...options.bridge,
  });
  await bridge.start();
  for (const command of options.commands ?? []) bridge.registry.register(command);
  return { bridge, adapter, store };
}
