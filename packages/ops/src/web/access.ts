import { satisfiesTier, type CommandRegistry, type User } from '@switchboard/core';

/**
 * What a web session may do is what its user may do in chat: each page action is allowed exactly
 * when the chat command that does the same is registered, not disabled, and open to the user's
 * tier, config overrides (`commands:`) included.
 */
export const WebActions = {
  alerts: 'alerts',
  ack: 'ack',
  unack: 'unack',
  resolve: 'resolve',
  snooze: 'snooze',
  silences: 'silences',
  silence: 'silence',
  unsilence: 'unsilence',
  devices: 'status',
  feeds: 'sources',
  users: 'users',
  promote: 'promote',
  demote: 'demote',
  audit: 'audit',
  /** Recent deliveries show chat addresses: as private as the user list. */
  deliveries: 'users',
} as const;

export type WebAction = keyof typeof WebActions;

/** Whether `user` may do `action` now. */
export function mayDo(registry: Pick<CommandRegistry, 'resolve'>, user: User, action: WebAction): boolean {
  const command = registry.resolve(WebActions[action]);
  return command !== undefined && satisfiesTier(user.tier, command.minTier);
}

/** Every action, with whether `user` may do it (the page shows only what works). */
export function abilities(registry: Pick<CommandRegistry, 'resolve'>, user: User): Record<WebAction, boolean> {
  return Object.fromEntries(Object.keys(WebActions).map((a) => [a, mayDo(registry, user, a as WebAction)])) as Record<WebAction, boolean>;
}
