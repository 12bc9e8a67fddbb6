import { bridgeFromConfig, ConfigError, ConsoleAdapter, errorInfo, LostStoreReason } from '@switchboard/core';
import { firstValueFrom } from 'rxjs';
import { createLogger } from '../logger.js';
import { CliExit, ExitCode, readConfig } from './common.js';

/** `switchboard start -c FILE`: run the bridge until `quit`, end of console input, or a signal. */
export async function startCommand(file: string): Promise<number> {
  const config = await readConfig(file);
  const logger = createLogger({
    level: config.core.logLevel,
    ...(config.core.logFile ? { file: config.core.logFile } : {}),
    secrets: config.secrets,
  });
  const bridge = bridgeFromConfig(config, { logger });
  const stopped = firstValueFrom(bridge.stopped$);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`\n${signal} again: exiting now; pending messages stay journalled.\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: delivering pending messages, then stopping (again to force).\n`);
    bridge.requestShutdown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Another instance is active on the store (Redis): say so here too, the log may be in a file.
  const standing = bridge.store.standingBy$?.subscribe((holder) =>
    process.stderr.write(`Standing by: ${holder} is active on this store. This instance takes its share of QQ shards and takes over when it stops.\n`),
  );
  try {
    await bridge.start();
  } catch (error) {
    logger.flush?.();
    // A plugin that fails to apply is a problem of the config: it names the entry and its line.
    if (error instanceof ConfigError) throw new CliExit(`switchboard could not start: ${error.message}`, ExitCode.config);
    throw new CliExit(`switchboard could not start: ${(error as Error).message}`, ExitCode.failure);
  } finally {
    standing?.unsubscribe();
  }
  // The console adapter is the console plugin's; its end of input (replayed if it came already) stops the bridge.
  const consoleAdapter = bridge.adapters.find((a): a is ConsoleAdapter => a instanceof ConsoleAdapter);
  consoleAdapter?.end$.subscribe(() => bridge.requestShutdown('end of console input'));
  consoleAdapter?.notice(
    `Switchboard is running (${bridge.adapters.map((a) => a.name).join(', ')}). ` +
      `You are console:${consoleAdapter.speakingAs}. Send "help"; ":as NAME" switches identity; Ctrl-D or "quit" stops.`,
  );
  // The operations server (`http:`), when configured: where to point a browser and Prometheus.
  const ops = bridge.services.get('ops') as { readonly baseUrl: string } | undefined;
  if (ops) consoleAdapter?.notice(`Web console ("web" sends you a login link), /healthz, /readyz and /metrics: ${ops.baseUrl}`);
  const reason = await stopped.catch((error: unknown) => {
    logger.error(errorInfo(error), 'bridge stopped with an error');
    return 'error';
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  logger.flush?.();
  // Taken over by another instance (Redis store): exit non-zero, so that a supervisor starts it again, as a standby.
  return reason === 'error' || reason.startsWith(LostStoreReason) ? ExitCode.failure : ExitCode.ok;
}
