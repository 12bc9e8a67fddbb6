import type { Observable } from 'rxjs';
import type { CommandRegistry } from '../commands/CommandRegistry.js';
import type { DispatchOutcome, Dispatcher } from '../commands/Dispatcher.js';
import type { Adapter, AdapterStatus } from '../domain/Adapter.js';
import type { Notifier } from '../notify/Notifier.js';
import type { Outbox } from '../outbox/Outbox.js';
import type { Store } from '../store/Store.js';
import type { DirectoryChange } from '../users/User.js';
import type { UserDirectory } from '../users/UserDirectory.js';
import type { Logger } from '../util/Logger.js';
import type { NamedRegistry } from './NamedRegistry.js';
import type { AuditLog } from '../audit/AuditLog.js';
import type { Catalog } from '../i18n/Catalog.js';
import type { Locale } from '../i18n/Locale.js';

/**
 * Names of what built-in plugins offer in {@link PluginHost.services}: the running relay's parts,
 * and the operations server.
 */
export const ServiceNames = { relay: 'relay', ops: 'ops' } as const;

/**
 * What a plugin context is built on: the running bridge's parts. The bridge implements it; built-in
 * plugins (the relay) reach the parts through `ctx.host`, third-party ones mostly through `ctx`.
 */
export interface PluginHost {
  readonly store: Store;
  readonly directory: UserDirectory;
  readonly registry: CommandRegistry;
  readonly dispatcher: Dispatcher;
  readonly outbox: Outbox;
  readonly notifier: Notifier;
  /** Where privileged acts are recorded. */
  readonly audit: AuditLog;
  /** Every text the bridge sends, by key and language. */
  readonly messages: Catalog;
  /** The bridge's language, for people who chose none. */
  readonly locale: Locale;
  readonly logger: Logger;
  /** Feed types by name (`webhook`, `homeassistant`, … and those plugins add). */
  readonly feedTypes: NamedRegistry<unknown>;
  /** Action kinds by name (`http`, `exec`, … and those plugins add). */
  readonly actionKinds: NamedRegistry<unknown>;
  /**
   * What plugins offer each other by name (the relay's running parts as `relay`, for the operations
   * server), added with `ctx.provide` and gone when the plugin that added it stops.
   */
  readonly services: NamedRegistry<unknown>;
  /** Absolute directory of the config file: relative paths in plugin config start there. */
  readonly configDir: string;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** The adapters the bridge runs (those plugins added included). */
  readonly adapters: readonly Adapter[];
  /** Run an adapter with the bridge (now, or with the others when the bridge is still starting). */
  addAdapter(adapter: Adapter): () => Promise<void>;
  /** Events a plugin may follow with `ctx.on`. */
  readonly events: { readonly [K in keyof BridgeEvents]: Observable<BridgeEvents[K]> };
}

/** Events of {@link Context.on}. */
export interface BridgeEvents {
  /** The bridge is running: every plugin applied, every adapter started. */
  ready: void;
  /** The bridge begins to stop, with the reason. */
  stopping: string;
  /** An adapter's status changed. */
  status: AdapterStatus;
  /** A user was added, changed or removed. */
  user: DirectoryChange;
  /** What became of an inbound message. */
  outcome: DispatchOutcome;
}
