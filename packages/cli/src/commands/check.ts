import { Bridge, CommandRegistry, ConfigError, located, MemoryStore, redact, registerBuiltins, type LoadedConfig } from '@switchboard/core';
import { relayConfigOf, routeWarnings, unknownFeedTypes } from '@switchboard/relay';
import { CliExit, ExitCode, readConfig } from './common.js';

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
    ...config.plugins.filter((p) => p.path.startsWith('adapters.')).map((p) => `  ${p.plugin.describe?.(p.config) ?? p.plugin.name}`),
    `users from config (${core.users.length}):`,
    ...core.users.map((u) => `  ${u.name} (${u.tier}) ${u.identities.map((i) => `${i.platform}:${i.id}`).join(', ')}`),
    `guests: ${core.guest.enabled ? `may run ${core.guest.commands.join(', ')}` : 'ignored'}`,
    `built-in commands: ${registry.list().map((c) => `${c.name}(${c.minTier})`).join(' ')}`,
  ];
  const plugins = await pluginLines(config);
  const relay = relayConfigOf(config);
  if (relay) {
    const unknown = unknownFeedTypes(relay.feeds, plugins.feedTypes);
    if (unknown.length > 0) throw new CliExit(new ConfigError(unknown, config.file).message, ExitCode.config);
    lines.push(`feeds (${relay.feeds.length}):`);
    for (const feed of relay.feeds) {
      const url = 'url' in feed && typeof feed.url === 'string' ? feed.url.replace(/\/\/[^/@]*@/, '//') : '';
      const where = feed.type === 'webhook' && 'listen' in feed ? `${feed.listen}${feed.path ?? `/hooks/${feed.name}`} (${feed.format})` : url;
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
  lines.push(...plugins.lines);
  // Overrides for commands a plugin registers later cannot be checked here; the bridge checks them at start.
  const unknown = registry.unknownOverrides();
  if (unknown.length > 0) lines.push(`overrides for commands registered later: ${unknown.join(', ')}`);
  out.write(redact(lines.join('\n') + '\n'));
  return 0;
}

/**
 * Each plugin from `plugins:` and the commands it adds: applied in order to a bridge that is never
 * started (an in-memory store, no adapter running), then stopped again.
 */
async function pluginLines(config: LoadedConfig): Promise<{ lines: string[]; feedTypes: string[] }> {
  const listed = config.plugins.filter((p) => p.path.startsWith('plugins.'));
  if (listed.length === 0) return { lines: [], feedTypes: [] };
  const lines = [`plugins (${listed.length}):`];
  const bridge = new Bridge({ store: new MemoryStore(), dataDir: config.core.dataDir });
  try {
    for (const configured of listed) {
      const before = new Set(bridge.registry.list().map((c) => c.name));
      await bridge.root.plugin(located(configured, config.file), configured.config);
      const added = bridge.registry.list().filter((c) => !before.has(c.name));
      const commands = added.map((c) => `${c.name}(${c.minTier})`).join(' ') || 'no commands';
      lines.push(`  ${configured.plugin.name} (${configured.use}): ${commands}`);
    }
    return { lines, feedTypes: bridge.feedTypes.names() };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(error.message, ExitCode.config);
    throw error;
  } finally {
    await bridge.root.dispose();
  }
}
