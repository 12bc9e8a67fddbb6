import type { LoadedConfig } from '../config/loadConfig.js';
import { FileStore } from '../store/FileStore.js';
import type { Store } from '../store/Store.js';
import { silentLogger, type Logger } from '../util/Logger.js';
import { Bridge, type BridgePlugin } from './Bridge.js';

/** Extras for {@link bridgeFromConfig}. */
export interface BridgeFromConfigOptions {
  readonly logger?: Logger;
  readonly plugins?: readonly BridgePlugin[];
  /** Store to use instead of the file store in the data directory. */
  readonly store?: Store;
}

/** Build (not start) a bridge from a validated config. */
export function bridgeFromConfig(config: LoadedConfig, options: BridgeFromConfigOptions = {}): Bridge {
  const logger = options.logger ?? silentLogger;
  const { core } = config;
  const adapters = config.adapters.map(({ module, config: section }) =>
    module.create(section as never, { logger: logger.child({ adapter: module.name }), dataDir: core.dataDir }),
  );
  return new Bridge({
    store: options.store ?? new FileStore({ dir: core.dataDir, logger }),
    adapters,
    logger,
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
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
}
