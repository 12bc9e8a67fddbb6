import type { z } from 'zod';
import type { Adapter } from '../domain/Adapter.js';
import type { Logger } from '../util/Logger.js';

/** What an adapter gets from the bridge when it is created. */
export interface AdapterEnvironment {
  readonly logger: Logger;
  /** Absolute data directory: adapters keep sessions and caches below it. */
  readonly dataDir: string;
}

/**
 * How a platform plugs into the config file and the bridge: the schema of its section under
 * `adapters.<name>` and a factory. Adapter packages export one; the CLI lists the ones it knows.
 */
export interface AdapterModule<Config = unknown> {
  readonly name: string;
  readonly schema: z.ZodType<Config, z.ZodTypeDef, unknown>;
  create(config: Config, env: AdapterEnvironment): Adapter;
  /** One line for `switchboard check`, with no secret in it. */
  describe?(config: Config): string;
}

/** Identity helper that keeps the config type of a module. */
export function defineAdapter<Config>(module: AdapterModule<Config>): AdapterModule<Config> {
  return module;
}
