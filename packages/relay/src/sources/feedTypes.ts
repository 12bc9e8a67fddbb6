import type { Logger } from '@switchboard/core';
import type { z } from 'zod';
import type { FeedConfig } from '../config.js';
import { createFeedSource } from './createFeedSource.js';
import type { FeedSource } from './FeedSource.js';
import type { HttpIngress } from './HttpIngress.js';

/** What a feed type's factory gets besides its config. */
export interface FeedEnvironment {
  /** The feed's `name`. */
  readonly name: string;
  readonly logger: Logger;
  /** The HTTP listener shared by every feed on that address (webhooks). */
  ingress(listen: string): HttpIngress;
}

/**
 * A feed type, registered with `ctx.feed(type, feedType)`: `feeds:` entries of that type are
 * checked by `schema` (every key but `type`) and turned into a source by `create`.
 */
export interface FeedType<Config = Record<string, unknown>> {
  readonly schema?: z.ZodType<Config, z.ZodTypeDef, unknown>;
  create(config: Config, env: FeedEnvironment): FeedSource;
}

/** Identity helper that keeps a feed type's config type. */
export function defineFeedType<Config>(feedType: FeedType<Config>): FeedType<Config> {
  return feedType;
}

/** The relay's own feed types; its plugin registers them through `ctx.feed` like any other. */
export const builtinFeedTypes: Readonly<Record<FeedConfig['type'], FeedType<FeedConfig>>> = {
  websocket: { create: (feed, env) => createFeedSource(feed, env.logger, env.ingress) },
  homeassistant: { create: (feed, env) => createFeedSource(feed, env.logger, env.ingress) },
  mqtt: { create: (feed, env) => createFeedSource(feed, env.logger, env.ingress) },
  webhook: { create: (feed, env) => createFeedSource(feed, env.logger, env.ingress) },
};
