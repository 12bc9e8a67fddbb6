import { definePlugin, errorInfo, ServiceNames, type AdapterStatus } from '@switchboard/core';
import type { RelayContext } from '@switchboard/relay';
import { merge, type Subscription } from 'rxjs';
import { OpsConfigSchema } from './config.js';
import { opsMessages } from './i18n.js';
import { createMetrics } from './metrics/Metrics.js';
import { notReady, type ReadinessSources } from './health.js';
import { OpsServer } from './OpsServer.js';
import { loadStatic } from './web/static.js';
import { webCommand } from './web/webCommand.js';

/**
 * The operations surface as a plugin: applied when the config file has an `http:` section. It
 * serves `/healthz`, `/readyz`, `/metrics` and the web console, and adds the `web` command.
 */
export const opsPlugin = definePlugin({
  name: 'ops',
  sections: ['http'],
  config: OpsConfigSchema,
  async apply(ctx, { http }) {
    const adapterStatus = new Map<string, AdapterStatus>();
    let state: 'starting' | 'running' | 'stopping' = 'starting';
    // What /readyz and switchboard_ready both look at.
    const readiness: ReadinessSources = { host: ctx.host, adapterStatus, bridgeState: () => state };
    const metrics = http.metrics
      ? createMetrics({
          host: ctx.host,
          // Counted inside the dispatcher, a few increments a message: following outcomes$ would build an object for each.
          dispatch: ctx.host.dispatcher.countOutcomes(),
          adapterStatus,
          ready: async () => (await notReady(readiness)).length === 0,
        })
      : undefined;
    const server = new OpsServer({
      ctx,
      config: http,
      metrics: metrics?.registry,
      files: http.console ? await loadStatic() : undefined,
      readiness,
    });
    ctx.on('status', (status) => {
      adapterStatus.set(status.adapter, status);
      server.live.changed('feeds');
    });
    const subs: Subscription[] = [];
    ctx.on('ready', () => {
      state = 'running';
      const relay = ctx.host.services.get(ServiceNames.relay) as RelayContext | undefined;
      if (!relay) return;
      subs.push(
        relay.alerts.changes$.subscribe(() => server.live.changed('alerts')),
        relay.silences.changes$.subscribe(() => server.live.changed('silences')),
        relay.states.changes$.subscribe(() => server.live.changed('devices')),
        merge(...relay.sources.map((s) => s.status$)).subscribe(() => server.live.changed('feeds')),
      );
    });
    ctx.on('stopping', () => {
      state = 'stopping';
    });
    ctx.on('user', (change) => {
      if (change.type === 'removed') server.sessions.endAllOf(change.user.name);
      if (change.type !== 'seen') server.live.changed('users');
    });
    if (http.console) {
      // Kept by the outbox in a ring (no object per message), and looked at every 2 s for the live view.
      ctx.host.outbox.keepRecent(100);
      let finished = 0;
      const watch = setInterval(() => {
        let now = 0;
        for (const counts of ctx.host.outbox.counts().values()) now += counts.delivered + counts.failed + counts.withdrawn;
        if (now !== finished) server.live.changed('deliveries');
        finished = now;
      }, 2000);
      watch.unref();
      ctx.onDispose(() => clearInterval(watch));
      ctx.messages(opsMessages);
      ctx.command(
        webCommand(server, {
          privateChats: (name) => {
            const user = ctx.host.directory.get(name);
            return user ? ctx.host.notifier.route(user).send.filter((a) => a.kind === 'user' || a.kind === 'dm') : [];
          },
          send: (message) => ctx.host.outbox.enqueue(message),
        }),
      );
    }
    ctx.onDispose(async () => {
      for (const sub of subs) sub.unsubscribe();
      metrics?.stop();
      await server.stop().catch((error: unknown) => ctx.logger.error(errorInfo(error), 'operations server did not stop cleanly'));
    });
    await server.start();
    ctx.provide(ServiceNames.ops, server);
  },
  describe: ({ http }) =>
    `http: ${http.listen}${http.publicUrl ? ` (${http.publicUrl})` : ''}; ${[http.metrics ? '/metrics' : '', http.console ? 'web console' : ''].filter(Boolean).join(', ') || 'health only'}`,
});
