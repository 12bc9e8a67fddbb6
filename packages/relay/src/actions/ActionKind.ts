import type { Logger, MessageParams } from '@switchboard/core';
import type { z } from 'zod';
import type { FeedSource } from '../sources/FeedSource.js';
import type { TemplateVars } from './template.js';

/** What a kind's `prepare` gets besides its config. */
export interface ActionEnvironment {
  /** The action's command name. */
  readonly action: string;
  /** The running feed of that name, if there is one. */
  feed(name: string): FeedSource | undefined;
  /** The config file's directory: relative paths (`exec.cwd`) start there. */
  readonly configDir: string;
  readonly logger: Logger;
}

/** One run of an action. */
export interface ActionRun {
  /** The declared arguments' values and `caller`, `chat`, `now`. */
  readonly vars: TemplateVars;
  /** Aborted when the command times out or the bridge stops. */
  readonly signal: AbortSignal;
}

/** Renders a catalog text in the caller's language. */
export type Translate = (key: string, params?: MessageParams) => string;

/** What an action says: plain text, or text made in the caller's language. */
export type ActionText = string | ((t: Translate) => string);

/** An action that failed, with what the caller is told (in their language when it is a function). */
export class ActionFailure extends Error {
  override name = 'ActionFailure';
  constructor(readonly text: ActionText) {
    super(typeof text === 'string' ? text : text((key, params) => `${key}${params ? ` ${JSON.stringify(params)}` : ''}`));
  }
}

/** A prepared action: what it does on each run. */
export interface ActionPerformer {
  /**
   * Do it. @returns what happened, for the caller (one line, or a few).
   * @throws Error (its message is told to the caller) when it failed or was refused.
   */
  perform(run: ActionRun): Promise<ActionText>;
  /** Longest a run may take; the command's timeout is set a little past it. */
  readonly timeoutMs?: number;
}

/**
 * A `do:` kind (`homeassistant`, `mqtt`, `http`, `exec`, `websocket`, or one a plugin adds with
 * `ctx.action(name, kind)`): its config is the value under `do.<name>`, checked by `schema` when
 * the relay starts, and prepared once into a performer.
 */
export interface ActionKind<Config = Record<string, unknown>> {
  readonly schema?: z.ZodType<Config, z.ZodTypeDef, unknown>;
  /** The feed kind `config.feed` must name, when the action goes over a feed. */
  readonly feedKind?: string;
  prepare(config: Config, env: ActionEnvironment): ActionPerformer;
}

/** Identity helper that keeps a kind's config type. */
export function defineActionKind<Config>(kind: ActionKind<Config>): ActionKind<Config> {
  return kind;
}

/** The feed an action names, of the kind it needs. @throws Error when it is not running (a config check missed it). */
export function feedOf<T extends FeedSource>(env: ActionEnvironment, name: string, kind: string): T {
  const feed = env.feed(name);
  if (!feed) throw new Error(`action ${env.action}: no feed named "${name}"`);
  if (feed.kind !== kind) throw new Error(`action ${env.action}: feed "${name}" is a ${feed.kind} feed, not ${kind}`);
  return feed as T;
}
