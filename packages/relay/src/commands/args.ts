import { CommandError, parseDuration } from '@switchboard/core';

/** A duration argument (`30m`, `2h`) within [min, max] ms; otherwise a CommandError that says what is wrong. */
export function durationArg(text: string, min: number, max: number, outOfRange: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  if (ms < min || ms > max) throw new CommandError(outOfRange);
  return ms;
}
