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
  const typedInitials = /^[a-z]{2,6}$/.test(typed) ? typed.toLowerCase() : undefined;
  for (const command of commands) {
    if (!caller.may(command)) continue;
    for (const name of [command.name, ...command.aliases]) {
      // Pinyin initials of a Chinese name (`zt` for 状态) are as good as the name itself.
      if (typedInitials !== undefined && pinyinInitials(name) === typedInitials) return name;
      const distance = editDistance(word, [...name], most);
      if (distance <= most && (!best || distance < best.distance)) best = { name, distance };
    }
  }
  return best?.name;
}

/**
 * Pinyin initials of the characters the built-in and relay commands' Chinese names use. A small
 * table rather than a pinyin dictionary: enough for the names we ship; a plugin's Chinese name with
 * other characters is still found by its characters.
 */
const Initials: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    b: '帮闭班蔽表',
    c: '除出',
    d: '订打蛋灯',
    f: '孵',
    g: '关告',
    h: '户缓',
    j: '加降计据静警解决',
    l: '令列',
    m: '命免',
    p: '屏',
    q: '权取情确',
    r: '扰认',
    s: '是谁删审数闪',
    t: '通添提退态',
    w: '我',
    x: '消详',
    y: '语言用源阅音',
    z: '助知状值暂',
  }).flatMap(([initial, chars]) => [...chars].map((ch) => [ch, initial])),
);

/** The pinyin initials of a name made only of characters in {@link Initials}; undefined otherwise. */
export function pinyinInitials(name: string): string | undefined {
  let out = '';
  for (const ch of name) {
    const initial = Initials[ch];
    if (initial === undefined) return undefined;
    out += initial;
  }
  return out.length >= 2 ? out : undefined;
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
