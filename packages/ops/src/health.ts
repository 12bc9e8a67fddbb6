import { ServiceNames, type AdapterStatus, type PluginHost } from '@switchboard/core';
import type { RelayContext } from '@switchboard/relay';

/** One part `/readyz` found not up, and why. */
export interface NotReady {
  readonly part: 'bridge' | 'store' | 'adapter' | 'feed';
  readonly name: string;
  readonly state: string;
  readonly detail?: string;
}

/** What readiness looks at. */
export interface ReadinessSources {
  readonly host: PluginHost;
  readonly adapterStatus: ReadonlyMap<string, AdapterStatus>;
  /** 'running' between the bridge's ready event and the start of its stop. */
  bridgeState(): 'starting' | 'running' | 'stopping';
}

/**
 * Readiness: the bridge is running, its store answers, every adapter is ready and every feed is
 * connected. Returns what is not, empty when all is well.
 */
export async function notReady(sources: ReadinessSources): Promise<NotReady[]> {
  const problems: NotReady[] = [];
  const state = sources.bridgeState();
  if (state !== 'running') problems.push({ part: 'bridge', name: 'bridge', state });
  try {
    await sources.host.store.check?.();
  } catch (error) {
    problems.push({ part: 'store', name: 'store', state: 'unavailable', detail: (error as Error).message });
  }
  for (const adapter of sources.host.adapters) {
    const status = sources.adapterStatus.get(adapter.name);
    if (status?.state !== 'ready') {
      problems.push({ part: 'adapter', name: adapter.name, state: status?.state ?? 'starting', ...(status?.detail !== undefined ? { detail: status.detail } : {}) });
    }
  }
  const relay = sources.host.services.get(ServiceNames.relay) as RelayContext | undefined;
  for (const source of relay?.sources ?? []) {
    const stats = source.stats();
    if (stats.state !== 'connected') problems.push({ part: 'feed', name: source.name, state: stats.state, ...(stats.detail !== undefined ? { detail: stats.detail } : {}) });
  }
  return problems;
}
