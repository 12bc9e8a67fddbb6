import { z } from 'zod';
import { definePlugin } from '../plugins/Context.js';
import { ConsoleAdapter } from './ConsoleAdapter.js';

/** Config of the console adapter (`adapters.console`). */
export const ConsoleConfigSchema = z
  .object({
    /** The console identity you speak as; a user needs `console:<user>` among their identities. */
    user: z.string().min(1),
    /** Allow `:as <id>` to switch identity. */
    allowSwitch: z.boolean().default(true),
    /** Show an interactive prompt when stdin is a terminal. */
    prompt: z.boolean().default(true),
  })
  .strict();

/** The console adapter as a plugin (`adapters.console`). */
export const consolePlugin = definePlugin({
  name: 'console',
  config: ConsoleConfigSchema,
  apply: (ctx, config) => void ctx.adapter(new ConsoleAdapter(config)),
  describe: (config) => `console, speaking as console:${config.user}`,
});
