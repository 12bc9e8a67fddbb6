import { ConfigError, loadConfig, secrets, type LoadedConfig } from '@switchboard/core';

/** Exit codes of the CLI. */
export const ExitCode = { ok: 0, failure: 1, config: 2, usage: 64 } as const;

/** Thrown to end the CLI with a message and an exit code. */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** Load and validate the config, turning problems into a CliExit with exit code 2. */
export async function readConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  try {
    // Built-in adapters and the relay are plugins too, imported when the file uses them.
    const config = await loadConfig(file, { env });
    // Every value that came from the environment is a secret for every output from now on.
    for (const value of config.secrets) secrets.add(value);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliExit(error.message, ExitCode.config);
    throw error;
  }
}

/** Mask values of secret-looking keys for display. */
export function maskForDisplay(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskForDisplay);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, /secret|token|password|key/i.test(k) && typeof v === 'string' ? '********' : maskForDisplay(v)]),
    );
  }
  return value;
}
