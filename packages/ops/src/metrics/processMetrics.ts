import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { one, scraped } from './scraped.js';

/**
 * The process metrics Prometheus' own client libraries export (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `process_start_time_seconds`, `process_open_fds`…) and Node's
 * heap and event-loop delay, under the `switchboard_` prefix, all read when scraped.
 *
 * Not prom-client's `collectDefaultMetrics`: its GC-duration histogram hooks every garbage
 * collection, which took ~10% off the dispatcher benchmark's throughput (that benchmark collects
 * many times a second). Nothing here runs between scrapes but the event-loop delay sampler (libuv,
 * every 20 ms).
 * @returns a disposer that stops the sampler.
 */
export function registerProcessMetrics(registry: Registry, prefix = 'switchboard_'): () => void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  const value = (name: string, help: string, read: () => number | undefined, type: 'counter' | 'gauge' = 'gauge'): void =>
    scraped(registry, type, prefix + name, help, [], () => one(read()));
  value('process_cpu_seconds_total', 'User and system CPU time spent, in seconds', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }, 'counter');
  value('process_resident_memory_bytes', 'Resident memory size in bytes', () => process.memoryUsage.rss());
  value('process_start_time_seconds', 'When the process started, in Unix time', () => startedAt);
  value('process_open_fds', 'Open file descriptors', () => {
    try {
      return readdirSync('/proc/self/fd').length;
    } catch {
      return undefined;
    }
  });
  value('process_max_fds', 'The limit on open file descriptors', () => {
    try {
      const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
      const soft = Number(line?.split(/\s+/)[3]);
      return Number.isFinite(soft) ? soft : undefined;
    } catch {
      return undefined;
    }
  });
  value('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', () => process.memoryUsage().heapUsed);
  value('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes', () => process.memoryUsage().heapTotal);
  value('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript ones, in bytes', () => process.memoryUsage().external);
  value('nodejs_active_resources', 'Resources keeping the event loop alive (sockets, timers, servers)', () => process.getActiveResourcesInfo().length);
  scraped(registry, 'gauge', `${prefix}nodejs_eventloop_lag_seconds`, 'Event-loop delay since the last scrape: median, 99th percentile and longest', ['quantile'], () => {
    const samples = [
      [{ quantile: '0.5' }, loop.percentile(50) / 1e9],
      [{ quantile: '0.99' }, loop.percentile(99) / 1e9],
      [{ quantile: 'max' }, loop.max / 1e9],
    ] as const;
    loop.reset();
    return samples;
  });
  const [major, minor, patch] = process.versions.node.split('.');
  scraped(registry, 'gauge', `${prefix}nodejs_version_info`, 'The Node.js version', ['version', 'major', 'minor', 'patch'], () => [
    [{ version: process.version, major: major!, minor: minor!, patch: patch! }, 1],
  ]);
  return () => loop.disable();
}
