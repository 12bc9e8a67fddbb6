import { ConfigError, secrets, type ConfigIssue, type Logger, type NamedRegistry } from '@switchboard/core';
import type { z } from 'zod';
import { BuiltinFeedTypes, type AnyFeedConfig, type FeedConfig } from '../config.js';
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

/** The relay's own types share one factory: their entries were checked when the file was loaded. */
const builtin: FeedType<FeedConfig> = { create: (feed, env) => createFeedSource(feed, env.logger, env.ingress) };

/** The relay's own feed types; its plugin registers them through `ctx.feed` like any other. */
export const builtinFeedTypes: Readonly<Record<string, FeedType<FeedConfig>>> = Object.fromEntries(BuiltinFeedTypes.map((type) => [type, builtin]));

/**
 * The `feeds:` entries whose type is neither built in nor among `registered`, as config issues.
 * `switchboard check` and the relay's start share it.
 */
export function unknownFeedTypes(feeds: readonly AnyFeedConfig[], registered: readonly string[]): ConfigIssue[] {
  const known = [...new Set([...BuiltinFeedTypes, ...registered])];
  return feeds.flatMap((feed, index) =>
    known.includes(feed.type) ? [] : [{ path: `feeds.${index}.type`, message: `no feed type "${feed.type}" (known: ${known.join(', ')}); a plugin adds one with ctx.feed` }],
  );
}

/**
 * The source of a `feeds:` entry, from its type's factory in `types` (the bridge's, filled through
 * `ctx.feed`; the built-in types when the relay runs without a plugin context).
 * @throws ConfigError naming the entry when no plugin brings its type or its type's schema refuses it.
 */
export function createSource(feed: AnyFeedConfig, index: number, types: NamedRegistry<unknown>, env: FeedEnvironment): FeedSource {
  // A feed's credentials are masked in every output, whether they came from the environment or not.
  for (const key of ['token', 'password']) {
    const value = (feed as Record<string, unknown>)[key];
    if (typeof value === 'string') secrets.add(value);
  }
  const feedType = (types.get(feed.type) ?? builtinFeedTypes[feed.type]) as FeedType | undefined;
  if (!feedType) throw new ConfigError(unknownFeedTypes([feed], types.names()).map((i) => ({ ...i, path: `feeds.${index}.type` })));
  let config: unknown = feed;
  if (feedType.schema) {
    const { type: _type, name: _name, ...rest } = feed as Record<string, unknown>;
    const parsed = feedType.schema.safeParse(rest);
    if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ path: ['feeds', index, ...i.path].join('.'), message: i.message })));
    config = parsed.data;
  }
  return feedType.create(config as never, env);
}
