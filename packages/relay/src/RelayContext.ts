import { ServiceNames, type Logger, type PluginHost } from '@switchboard/core';
import type { AlertBook } from './alerts/AlertBook.js';
import type { Alerting } from './alerts/Alerting.js';
import type { QuietHours } from './alerts/QuietHours.js';
import type { SilenceBook } from './alerts/SilenceBook.js';
import type { RelayConfig } from './config.js';
import type { RelayNotifier } from './delivery/RelayNotifier.js';
import type { Router } from './routing/Router.js';
import type { FeedSource } from './sources/FeedSource.js';
import type { DeviceStates } from './state/DeviceStates.js';
import type { FeedHealth } from './state/FeedHealth.js';

/** The name the running relay's {@link RelayContext} is offered under in `host.services`. */
export const RelayService = ServiceNames.relay;

/**
 * The running relay's parts, built once when it starts and handed to its commands and to
 * alerting. Every field is there from the start: nothing here throws for "not started".
 */
export interface RelayContext {
  readonly host: PluginHost;
  /** The `relay:` section, defaults filled in. */
  readonly settings: RelayConfig['relay'];
  readonly logger: Logger;
  /** Last known state of each device. */
  readonly states: DeviceStates;
  /** Routing rules: who hears about what, who may see and follow what. */
  readonly router: Router;
  /** Open alerts and history. */
  readonly alerts: AlertBook;
  /** The alert lifecycle: pages, reminders, escalations, acks. */
  readonly alerting: Alerting;
  /** Silences in force. */
  readonly silences: SilenceBook;
  /** Quiet hours per user and the texts they hold. */
  readonly quiet: QuietHours;
  /** The relay's one way out (mute, quiet hours, digests). */
  readonly delivery: RelayNotifier;
  /** Which feeds are down, holding their devices' alerts. */
  readonly health: FeedHealth;
  /** The feed connections, in config order. */
  readonly sources: readonly FeedSource[];
  /** Time zone for quiet hours set without one. */
  readonly defaultTimeZone: string;
}
