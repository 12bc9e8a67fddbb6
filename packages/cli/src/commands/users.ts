import { configuredAudit, configuredStore, DirectoryError, identityKey, silentLogger, isTier, parseIdentity, systemActor, SwitchboardError, UserDirectory, type Identity } from '@switchboard/core';
import { CliExit, ExitCode, readConfig } from './common.js';

type UsersAction =
  | { readonly type: 'list' }
  | { readonly type: 'add'; readonly name: string; readonly tier: string; readonly identities: readonly string[] }
  | { readonly type: 'remove'; readonly name: string }
  | { readonly type: 'set-tier'; readonly name: string; readonly tier: string };

/**
 * `switchboard users …`: manage the directory in the configured store while the bridge is stopped.
 * The store's lock (the data directory's, or the Redis store's) refuses this while a bridge runs on it.
 */
export async function usersCommand(file: string, action: UsersAction, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = await readConfig(file);
  const store = configuredStore(config, silentLogger);
  try {
    await store.open();
  } catch (error) {
    if (error instanceof SwitchboardError && error.code === 'STORE_LOCKED') {
      throw new CliExit(`${error.message}. Stop the bridge (or use the chat commands) to change users.`, ExitCode.failure);
    }
    throw error;
  }
  const audit = configuredAudit(config, silentLogger);
  // Changes made at the shell land in the same audit trail as those made in chat.
  const record = (outcome: string, detail?: string): Promise<void> =>
    action.type === 'list'
      ? Promise.resolve()
      : audit.append({
          at: new Date().toISOString(),
          actor: 'shell',
          command: `users ${action.type}`,
          args: [action.name, ...(action.type === 'add' ? [action.tier, ...action.identities] : action.type === 'set-tier' ? [action.tier] : [])],
          outcome,
          ...(detail !== undefined ? { detail } : {}),
          via: 'shell',
        });
  try {
    const directory = new UserDirectory(store);
    await directory.load();
    await directory.seed(config.core.users);
    const actor = systemActor('cli');
    switch (action.type) {
      case 'list':
        for (const u of directory.list()) {
          out.write(`${u.name}\t${u.tier}\t${u.identities.map(identityKey).join(',')}\n`);
        }
        break;
      case 'add': {
        const identities: Identity[] = action.identities.map((text) => {
          try {
            return parseIdentity(text);
          } catch (error) {
            throw new CliExit((error as Error).message, ExitCode.usage);
          }
        });
        const user = await directory.add(actor, { name: action.name, tier: tierOf(action.tier), identities });
        out.write(`added ${user.name} (${user.tier})\n`);
        break;
      }
      case 'remove': {
        const user = await directory.remove(actor, action.name);
        out.write(`removed ${user.name} (${user.tier})\n`);
        break;
      }
      case 'set-tier': {
        const before = directory.get(action.name)?.tier;
        const user = await directory.setTier(actor, action.name, tierOf(action.tier));
        out.write(`${user.name}: ${before} → ${user.tier}\n`);
        break;
      }
    }
    await record('ok');
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof DirectoryError) {
      await record('refused', error.message);
      throw new CliExit(error.message, ExitCode.failure);
    }
    throw error;
  } finally {
    await audit.close();
    await store.close();
  }
}

function tierOf(text: string): 'root' | 'admin' | 'user' {
  const tier = text.toLowerCase();
  if (!isTier(tier)) throw new CliExit(`"${text}" is not a tier; use root, admin or user`, ExitCode.usage);
  return tier;
}
