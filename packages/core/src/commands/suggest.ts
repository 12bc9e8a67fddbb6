import type { Caller, Command } from './Command.js';

/**
 * "Did you mean": the command name or alias nearest to what was typed, among the commands the
 * caller may run (so a suggestion never reveals a command above their tier). Near means an edit
 * distance (with swapped neighbours as one edit) of 1 for names up to 4 characters, 2 beyond.
 * @returns the name or alias to suggest, or undefined when none is near.
 */
export function suggestCommand(typed: string, commands: readonly Command[], caller: Caller): string | undefined {
  const word = [...typed.toLowerCase()];
  if (word.length < 2 || word.length > 32) return undefined;
  const most = word.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const command of commands) {
    if (!caller.may(command)) continue;
    for (const name of [command.name, ...command.aliases]) {
      const distance = editDistance(word, [...name], most);
      if (distance <= most && (!best || distance < best.distance)) best = { name, distance };
    }
  }
  return best?.name;
}

/** Optimal string alignment distance of two strings (as code points), or `most + 1` once it must exceed `most`. */
export function editDistance(a: readonly string[], b: readonly string[], most: number): number {
  if (Math.abs(a.length - b.length) > most) return most + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowBest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      rowBest = Math.min(rowBest, d);
    }
    if (rowBest > most) return most + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
