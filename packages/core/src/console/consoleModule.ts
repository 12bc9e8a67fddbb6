import { z } from 'zod';
import { defineAdapter } from '../config/AdapterModule.js';
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

/** The console adapter as a config module. */
export const consoleModule = defineAdapter({
  name: 'console',
  schema: ConsoleConfigSchema,
  create: (config) => new ConsoleAdapter(config),
  describe: (config) => `console, speaking as console:${config.user}`,
});
