import { dirname } from 'node:path';
import type { LoadedConfig } from '../config/loadConfig.js';
import type { ConfiguredPlugin } from '../config/plugins.js';
import { ConfigError } from '../errors.js';
import { FileStore } from '../store/FileStore.js';
import { configuredAuditLog } from '../audit/FileAuditLog.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Store } from '../store/Store.js';
import { silentLogger, type Logger } from '../util/Logger.js';
import type { Plugin, PluginUse } from '../plugins/Context.js';
import { Bridge } from './Bridge.js';

/** Extras for {@link bridgeFromConfig}. */
export interface BridgeFromConfigOptions {
  readonly logger?: Logger;
  readonly plugins?: readonly (Plugin<unknown> | PluginUse<unknown>)[];
  /** Store to use instead of the file store in the data directory. */
  readonly store?: Store;
  /** Audit log to use instead of `audit.jsonl` in the data directory. */
  readonly audit?: AuditLog;
}

/**
 * Build (not start) a bridge from a validated config: every plugin it names (adapters, the relay,
 * `plugins:`) is applied at start, after `options.plugins`.
 */
export function bridgeFromConfig(config: LoadedConfig, options: BridgeFromConfigOptions = {}): Bridge {
  const logger = options.logger ?? silentLogger;
  const { core } = config;
  return new Bridge({
    store: options.store ?? configuredStore(config, logger, { bridge: true }),
    logger,
    dataDir: core.dataDir,
    locale: core.locale,
    configDir: config.file.startsWith('<') ? process.cwd() : dirname(config.file),
    audit: options.audit ?? configuredAudit(config, logger),
    users: core.users,
    commandOverrides: core.commands,
    guest: core.guest,
    concurrency: core.dispatcher.concurrency,
    timeoutMs: core.dispatcher.timeout,
    limits: {
      maxInput: core.dispatcher.maxInput,
      maxQueued: core.dispatcher.maxQueued,
      userRate: core.dispatcher.userRate,
      userBurst: core.dispatcher.userBurst,
    },
    drainTimeoutMs: core.outbox.drainTimeout,
    outbox: {
      retryBaseMs: core.outbox.retryBase,
      retryMaxMs: core.outbox.retryMax,
      giveUpAfterMs: core.outbox.giveUpAfter,
    },
    notifications: { defaultChoice: core.notifications.default, fallbackAfterMs: core.notifications.fallbackAfter },
    ...(core.prefix !== undefined ? { prefix: core.prefix } : {}),
    plugins: [...(options.plugins ?? []), ...config.plugins.map((p) => ({ plugin: located(p, config.file), config: p.config }))],
  });
}

/** The store the config picks: its module's (`store: { type: redis, … }`), or the file store in the data directory. */
export function configuredStore(config: LoadedConfig, logger: Logger, options: { readonly bridge?: boolean } = {}): Store {
  if (config.store) return config.store.module.create(config.store.config, { logger, dataDir: config.core.dataDir, ...options });
  return new FileStore({ dir: config.core.dataDir, logger });
}

/** The audit log the config picks: its store module's, or `audit.jsonl` in the data directory. */
export function configuredAudit(config: LoadedConfig, logger: Logger): AuditLog {
  const own = config.store?.module.audit?.(config.store.config, { logger, dataDir: config.core.dataDir });
  return own ?? configuredAuditLog(config.core, logger);
}

/** A configured plugin whose failure to apply names its entry, line and cause (a ConfigError: exit 2 in the CLI). */
export function located(configured: ConfiguredPlugin, file: string): Plugin<unknown> {
  const { plugin } = configured;
  return {
    name: plugin.name,
    ...(plugin.cluster ? { cluster: plugin.cluster.bind(plugin) } : {}),
    async apply(ctx, config) {
      try {
        await plugin.apply(ctx, config);
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        const issue = { path: configured.path, message: `plugin "${plugin.name}" (${configured.use}) failed to start: ${cause}` };
        throw new ConfigError([{ ...issue, ...(configured.line !== undefined ? { line: configured.line } : {}) }], file);
      }
    },
  };
}
