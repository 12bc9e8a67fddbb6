import { DurationSchema, parseListen } from '@switchboard/core';
import { z } from 'zod';

/** The `http:` section: where the operations server listens and how web logins behave. */
export const HttpConfigSchema = z
  .object({
    /** `host:port` to listen on. Keep it on loopback or behind a TLS proxy. */
    listen: z.string().superRefine((value, ctx) => {
      try {
        parseListen(value);
      } catch (error) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      }
    }),
    /**
     * The address people open, when it is not `http://<listen>` (a TLS proxy in front): login links
     * start with it, and an `https:` one makes the session cookie `Secure`.
     */
    publicUrl: z
      .string()
      .url()
      .refine((url) => /^https?:\/\//.test(url), 'must be an http:// or https:// address')
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** How long a login link from the `web` command stays usable (once). @defaultValue 10m */
    loginTtl: DurationSchema.default('10m').refine((ms) => ms >= 10_000 && ms <= 3_600_000, 'must be between 10s and 1h'),
    /** How long a web session lasts after login. @defaultValue 12h */
    sessionTtl: DurationSchema.default('12h').refine((ms) => ms >= 60_000 && ms <= 30 * 86_400_000, 'must be between 1m and 30d'),
    /** Serve the web console (and the `web` command). @defaultValue true */
    console: z.boolean().default(true),
    /** Serve `/metrics`. @defaultValue true */
    metrics: z.boolean().default(true),
  })
  .strict();

/** The operations plugin's config: the `http` section of the file. */
export const OpsConfigSchema = z.object({ http: HttpConfigSchema }).strict();

/** A validated `http:` section. */
export type HttpConfig = z.output<typeof HttpConfigSchema>;
