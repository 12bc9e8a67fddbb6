import { definePlugin, errorInfo, type AdapterStatus } from '@switchboard/core';
import { RelayService, type RelayContext } from '@switchboard/relay';
import { merge, type Subscription } from 'rxjs';
import { OpsConfigSchema } from './config.js';
import { opsMessages } from './i18n.js';
import { DispatchStats } from './metrics/DispatchStats.js';
import { createMetrics } from './metrics/Metrics.js';
import { notReady } from './health.js';
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
    const dispatch = new DispatchStats(ctx.host.registry);
    const metrics = http.metrics
      ? createMetrics({
          host: ctx.host,
          dispatch,
          adapterStatus,
          ready: async () => (await notReady({ host: ctx.host, adapterStatus, bridgeState: () => state })).length === 0,
        })
      : undefined;
    const server = new OpsServer({
      ctx,
      config: http,
      metrics,
      files: http.console ? await loadStatic() : undefined,
      adapterStatus,
      bridgeState: () => state,
    });
    ctx.on('status', (status) => {
      adapterStatus.set(status.adapter, status);
      server.live.changed('feeds');
    });
    if (metrics) ctx.on('outcome', (outcome) => dispatch.observe(outcome));
    const subs: Subscription[] = [];
    ctx.on('ready', () => {
      state = 'running';
      const relay = ctx.host.services.get(RelayService) as RelayContext | undefined;
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
      subs.push(
        ctx.host.outbox.deliveries$.subscribe((report) => {
          server.api.noteDelivery(report);
          if (report.final) server.live.changed('deliveries');
        }),
      );
      ctx.messages(opsMessages);
      ctx.command(webCommand(server));
    }
    ctx.onDispose(async () => {
      for (const sub of subs) sub.unsubscribe();
      await server.stop().catch((error: unknown) => ctx.logger.error(errorInfo(error), 'operations server did not stop cleanly'));
    });
    await server.start();
    ctx.provide('ops', server);
  },
  describe: ({ http }) =>
    `http: ${http.listen}${http.publicUrl ? ` (${http.publicUrl})` : ''}; ${[http.metrics ? '/metrics' : '', http.console ? 'web console' : ''].filter(Boolean).join(', ') || 'health only'}`,
});
