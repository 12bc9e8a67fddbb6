import type { Logger } from '@switchboard/core';
import type { FeedConfig } from '../config.js';
import type { FeedSource } from './FeedSource.js';
import { HomeAssistantSource } from './HomeAssistantSource.js';
import type { HttpIngress } from './HttpIngress.js';
import { MqttSource } from './MqttSource.js';
import { WebhookSource } from './WebhookSource.js';
import { WebSocketSource } from './WebSocketSource.js';

/** The source for one `feeds:` entry; webhook feeds share the ingress of their listen address. */
export function createFeedSource(feed: FeedConfig, logger: Logger, ingress: (listen: string) => HttpIngress): FeedSource {
  switch (feed.type) {
    case 'websocket':
      return new WebSocketSource({
        name: feed.name,
        url: feed.url,
        onOpen: feed.onOpen,
        mapping: feed.mapping,
        ...(feed.ready ? { ready: feed.ready } : {}),
        ...(feed.refused ? { refused: feed.refused } : {}),
        readyTimeoutMs: feed.readyTimeout,
        ignore: feed.ignore,
        socket: { pingIntervalMs: feed.ping, backoff: { baseMs: feed.backoff.base, maxMs: feed.backoff.max } },
        logger,
        ...(feed.headers ? { headers: feed.headers } : {}),
      });
    case 'homeassistant':
      return new HomeAssistantSource({
        name: feed.name,
        url: feed.url,
        token: feed.token,
        entities: feed.entities,
        severities: feed.severities,
        socket: { pingIntervalMs: feed.ping, backoff: { baseMs: feed.backoff.base, maxMs: feed.backoff.max } },
        logger,
      });
    case 'mqtt':
      return new MqttSource({
        name: feed.name,
        url: feed.url,
        persistentSession: feed.persistentSession,
        subscriptions: feed.subscriptions,
        keepaliveSeconds: Math.max(1, Math.round(feed.keepalive / 1000)),
        backoff: { baseMs: feed.backoff.base, maxMs: feed.backoff.max },
        logger,
        ...(feed.username !== undefined ? { username: feed.username } : {}),
        ...(feed.password !== undefined ? { password: feed.password } : {}),
        ...(feed.clientId !== undefined ? { clientId: feed.clientId } : {}),
      });
    case 'webhook':
      return new WebhookSource({
        name: feed.name,
        ingress: ingress(feed.listen),
        path: feed.path ?? `/hooks/${feed.name}`,
        token: feed.token,
        queryToken: feed.queryToken,
        format: feed.format,
        mapping: feed.mapping,
        logger,
      });
  }
}
