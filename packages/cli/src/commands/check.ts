import { CommandRegistry, redact, registerBuiltins } from '@switchboard/core';
import { relayConfigFrom, routeWarnings } from '@switchboard/relay';
import { readConfig } from './common.js';

/** `switchboard check -c FILE`: validate and print what would start, connecting nowhere. */
export async function checkCommand(file: string, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = await readConfig(file);
  const { core } = config;
  const registry = new CommandRegistry();
  registerBuiltins(registry);
  registry.setOverrides(core.commands);
  const lines = [
    `config ok: ${config.file}`,
    `data directory: ${core.dataDir}`,
    `log: ${core.logLevel}${core.logFile ? ` → ${core.logFile}` : ' → stderr'}`,
    'adapters:',
    ...config.adapters.map(({ module, config: section }) => `  ${module.describe?.(section as never) ?? module.name}`),
    `users from config (${core.users.length}):`,
    ...core.users.map((u) => `  ${u.name} (${u.tier}) ${u.identities.map((i) => `${i.platform}:${i.id}`).join(', ')}`),
    `guests: ${core.guest.enabled ? `may run ${core.guest.commands.join(', ')}` : 'ignored'}`,
    `built-in commands: ${registry.list().map((c) => `${c.name}(${c.minTier})`).join(' ')}`,
  ];
  const relay = relayConfigFrom(config.sections);
  if (relay) {
    lines.push(`feeds (${relay.feeds.length}):`);
    for (const feed of relay.feeds) {
      const where = feed.type === 'webhook' ? `${feed.listen}${feed.path ?? `/hooks/${feed.name}`} (${feed.format})` : feed.url.replace(/\/\/[^/@]*@/, '//');
      lines.push(`  ${feed.name}: ${feed.type} ${where}`);
    }
    lines.push(`routes (${relay.routes.length}):`);
    relay.routes.forEach((r, i) => {
      const m = Object.entries(r.match).map(([k, v]) => `${k}=${String(v)}`).join(' ') || 'everything';
      const who = [r.notify.tier ? `${r.notify.tier}+` : '', ...r.notify.users, r.subscribers ? `subscribers(${r.subscribers}+)` : ''].filter(Boolean).join(', ');
      lines.push(`  ${i + 1}. ${r.name ? `${r.name}: ` : ''}${m} → ${who || 'nobody'}${r.continue ? ' (continue)' : ''}`);
    });
    for (const warning of routeWarnings(relay.routes, core.users)) lines.push(`warning: ${warning}`);
  }
  // Overrides for commands a plugin registers later cannot be checked here; the bridge checks them at start.
  const unknown = registry.unknownOverrides();
  if (unknown.length > 0) lines.push(`overrides for commands registered later: ${unknown.join(', ')}`);
  out.write(redact(lines.join('\n') + '\n'));
  return 0;
}
