import { Bridge, CommandRegistry, ConfigError, formatDuration, located, MemoryStore, redact, registerBuiltins, type LoadedConfig } from '@switchboard/core';
import { actionIssues, actionKindOf, builtinActionKinds, relayConfigOf, routeWarnings, unknownFeedTypes, type ActionKind } from '@switchboard/relay';
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
    `store: ${config.store ? (config.store.module.describe?.(config.store.config) ?? config.store.module.type) : `file, in ${core.dataDir}`}`,
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
    const actions = relay.actions ?? [];
    // Every kind is known now (the plugins' too): each action is checked against its kind's schema and the feeds.
    const issues = actionIssues(actions, relay.feeds, { ...builtinActionKinds, ...plugins.actionKinds }, true);
    if (issues.length > 0) throw new CliExit(new ConfigError(issues.map((i) => ({ path: i.path.join('.'), message: i.message })), config.file).message, ExitCode.config);
    if (actions.length > 0) lines.push(`actions (${actions.length}):`);
    for (const action of actions) {
      const [kind, raw] = actionKindOf(action);
      const feed = raw && typeof raw === 'object' && typeof (raw as { feed?: unknown }).feed === 'string' ? ` on ${(raw as { feed: string }).feed}` : '';
      const extras = [
        action.args.length > 0 ? `args ${action.args.map((a) => a.name).join(' ')}` : '',
        action.confirm ? 'confirm' : '',
        action.cooldown !== undefined ? `cooldown ${formatDuration(action.cooldown)}` : '',
        action.rate ? `rate ${action.rate.limit}/${formatDuration(action.rate.per)}` : '',
      ].filter(Boolean);
      lines.push(`  ${action.command}(${action.minTier}) → ${kind}${feed}${extras.length > 0 ? `; ${extras.join(', ')}` : ''}`);
    }
  }
  // Other plugins of top-level sections (the operations server's `http:`) describe themselves.
  for (const p of config.plugins.filter((p) => !p.path.startsWith('adapters.') && !p.path.startsWith('plugins.') && p.plugin.name !== 'relay')) {
    lines.push(p.plugin.describe?.(p.config) ?? p.plugin.name);
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
async function pluginLines(config: LoadedConfig): Promise<{ lines: string[]; feedTypes: string[]; actionKinds: Record<string, ActionKind<unknown>> }> {
  const listed = config.plugins.filter((p) => p.path.startsWith('plugins.'));
  if (listed.length === 0) return { lines: [], feedTypes: [], actionKinds: {} };
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
    const actionKinds = bridge.actionKinds.toRecord() as Record<string, ActionKind<unknown>>;
    return { lines, feedTypes: bridge.feedTypes.names(), actionKinds };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(error.message, ExitCode.config);
    throw error;
  } finally {
    await bridge.root.dispose();
  }
}
