import type { z } from 'zod';
import type { Logger } from '../util/Logger.js';
import type { Store } from './Store.js';
import type { AuditLog } from '../audit/AuditLog.js';

/** What a store module is given to build its store. */
export interface StoreContext {
  readonly logger: Logger;
  /** The absolute data directory (the audit log and log file stay there whatever the store). */
  readonly dataDir: string;
  /**
   * True when a bridge opens the store (`switchboard start`): it may stand by for another instance
   * and share work with it. Tools (`switchboard users`, `audit`) open it alone or fail.
   */
  readonly bridge?: boolean;
}

/**
 * A `Store` implementation the config file can pick with `store: { type: NAME, … }` (the file store
 * is `type: file`, the default). Its package default-exports this; the loader imports it when the
 * file names its type (`BuiltinStores`), and validates the `store:` section with `config`.
 */
export interface StoreModule<Config = unknown> {
  readonly type: string;
  readonly config: z.ZodType<Config, z.ZodTypeDef, unknown>;
  create(config: Config, context: StoreContext): Store;
  /** The audit log to keep beside the store (the file store's is `audit.jsonl` in the data directory). */
  audit?(config: Config, context: StoreContext): AuditLog;
  /** One line for `switchboard check`, with no secret in it. */
  describe?(config: Config): string;
}

/** Identity helper that keeps the config type. */
export function defineStore<Config>(module: StoreModule<Config>): StoreModule<Config> {
  return module;
}

/** A store module and its validated section, as a loaded config carries it. */
export interface ConfiguredStore {
  readonly module: StoreModule<unknown>;
  readonly config: unknown;
}
