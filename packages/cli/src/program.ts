import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check.js';
import { redact } from '@switchboard/core';
import { CliExit, ExitCode } from './commands/common.js';
import { startCommand } from './commands/start.js';
import { usersCommand } from './commands/users.js';
import { auditCommand } from './commands/audit.js';

const configOption = ['-c, --config <file>', 'the YAML config file', 'switchboard.yaml'] as const;

/** Build the `switchboard` command line. Actions store their exit code in `result.code`. */
export function buildProgram(result: { code: number }): Command {
  const program = new Command('switchboard')
    .description('Chat-ops bridge: your chats as the console for your machines.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('start')
    .description('start the bridge and run until quit, end of console input, or SIGINT/SIGTERM')
    .option(...configOption)
    .action(async (opts: { config: string }) => {
      result.code = await startCommand(opts.config);
    });

  program
    .command('check')
    .description('validate the config and print what would start, without connecting anywhere')
    .option(...configOption)
    .action(async (opts: { config: string }) => {
      result.code = await checkCommand(opts.config);
    });

  program
    .command('audit')
    .description('print the latest entries of the audit log: tier and user changes, acks, silences, actions')
    .option(...configOption)
    .option('-n, --limit <n>', 'how many entries', '20')
    .option('-u, --user <name>', 'only the entries of this actor')
    .option('--json', 'one JSON object per line, as stored')
    .action(async (opts: { config: string; limit: string; user?: string; json?: boolean }) => {
      result.code = await auditCommand(opts.config, {
        limit: /^\d+$/.test(opts.limit) ? Number(opts.limit) : NaN,
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        ...(opts.json ? { json: true } : {}),
      });
    });

  const users = program.command('users').description('manage users in the data directory while the bridge is stopped');
  users
    .command('list')
    .description('list users: name, tier, identities')
    .option(...configOption)
    .action(async (opts: { config: string }) => {
      result.code = await usersCommand(opts.config, { type: 'list' });
    });
  users
    .command('add <name> <tier> [identities...]')
    .description('add a user; identities as platform:id, e.g. console:alice qq:ABCDEF')
    .option(...configOption)
    .action(async (name: string, tier: string, identities: string[], opts: { config: string }) => {
      result.code = await usersCommand(opts.config, { type: 'add', name, tier, identities });
    });
  users
    .command('remove <name>')
    .description('remove a user (never the last root)')
    .option(...configOption)
    .action(async (name: string, opts: { config: string }) => {
      result.code = await usersCommand(opts.config, { type: 'remove', name });
    });
  users
    .command('set-tier <name> <tier>')
    .description('set a user\'s tier: root, admin or user (the last root stays root)')
    .option(...configOption)
    .action(async (name: string, tier: string, opts: { config: string }) => {
      result.code = await usersCommand(opts.config, { type: 'set-tier', name, tier });
    });
  return program;
}

/** Run the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const result = { code: ExitCode.ok as number };
  try {
    await buildProgram(result).parseAsync([...argv]);
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : ExitCode.usage;
    if (error instanceof CliExit) {
      process.stderr.write(`${redact(error.message)}\n`);
      return error.code;
    }
    // A stack trace or a server's echo of a request can carry a secret: masked like every log line.
    process.stderr.write(redact(`switchboard: ${(error as Error).message ?? String(error)}\n`));
    return ExitCode.failure;
  }
}
