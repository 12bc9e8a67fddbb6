import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { DurationSchema } from '@switchboard/core';
import { z } from 'zod';
import { ActionFailure, defineActionKind } from '../ActionKind.js';
import { renderArg, renderText } from '../template.js';

/** Output kept (the tail), in characters. */
const KeptOutput = 16 * 1024;
/** Lines of output shown in the reply. */
const ShownLines = 10;
/** Characters of output shown in the reply. */
const ShownChars = 800;
/** After the timeout's SIGTERM, how long before SIGKILL. */
const KillGraceMs = 2000;

/**
 * `exec: { argv, cwd, timeout, env }`: a program run directly, never through a shell, each argv
 * entry one argument whatever the values in it hold. Its environment is exactly `env` plus `PATH`
 * (the bridge's, unless `env` sets it): nothing else of the bridge's, its secrets included, leaks in.
 */
export const execAction = defineActionKind({
  schema: z
    .object({
      argv: z
        .array(z.string())
        .min(1)
        .refine((argv) => !/\{\{/.test(argv[0] ?? ''), { message: 'the program (argv[0]) cannot be a template', path: [0] }),
      cwd: z.string().min(1).optional(),
      timeout: DurationSchema.default('60s'),
      env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string()).default({}),
    })
    .strict(),
  prepare(config, env) {
    const cwd = config.cwd === undefined ? env.configDir : isAbsolute(config.cwd) ? config.cwd : resolve(env.configDir, config.cwd);
    return {
      timeoutMs: config.timeout + KillGraceMs,
      async perform({ vars, signal }) {
        const [program, ...rest] = config.argv.map((arg, i) => (i === 0 ? arg : renderArg(arg, vars)));
        const childEnv: Record<string, string> = { ...(process.env.PATH !== undefined ? { PATH: process.env.PATH } : {}) };
        for (const [name, value] of Object.entries(config.env)) childEnv[name] = renderText(value, vars);
        const result = await run(program!, rest, { cwd, env: childEnv, timeoutMs: config.timeout, signal });
        const tail = lastLines(result.output);
        const shown = tail ? `\n${tail}` : '';
        const time = `${Math.round(config.timeout / 1000)} s`;
        const error = result.error;
        if (error !== undefined) throw new ActionFailure((t) => t('actions.exec.cannotRun', { program: program!, error }));
        if (result.timedOut) throw new ActionFailure((t) => t('actions.exec.killed', { time, shown }));
        const killedBy = result.signal;
        if (killedBy) throw new ActionFailure((t) => t('actions.exec.signal', { signal: killedBy, shown }));
        const code = result.code ?? -1;
        if (code !== 0) throw new ActionFailure((t) => t('actions.exec.exit', { code, shown }));
        return (t) => t('actions.exec.exit', { code: 0, shown });
      },
    };
  },
});

interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
  readonly error?: string;
}

function run(program: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number; signal: AbortSignal }): Promise<ExecResult> {
  return new Promise((done) => {
    let output = '';
    let timedOut = false;
    let failed: string | undefined;
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, shell: false, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > KeptOutput * 2) output = output.slice(-KeptOutput);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // The whole process group: a script's own children go with it.
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    let grace: NodeJS.Timeout | undefined;
    const stop = (): void => {
      kill('SIGTERM');
      grace = setTimeout(() => kill('SIGKILL'), KillGraceMs);
      grace.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    timer.unref();
    const onAbort = (): void => stop();
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      failed = error.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      options.signal.removeEventListener('abort', onAbort);
      done({ code, signal, output: output.slice(-KeptOutput), timedOut, ...(failed !== undefined ? { error: failed } : {}) });
    });
  });
}

function lastLines(output: string): string {
  const lines = output.replace(/\s+$/, '').split('\n');
  const tail = lines.slice(-ShownLines).join('\n');
  return tail.length <= ShownChars ? tail : `…${tail.slice(-(ShownChars - 1))}`;
}
