import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/lint/leakySubjects.ts', import.meta.url));

describe('lint: RxJS subjects stay private to their owner', () => {
  it('reports every subject visible outside its owner, and nothing else', async () => {
    const eslint = new ESLint({ cwd: root, ignore: false });
    const [result] = await eslint.lintFiles([fixture]);
    const reported = result!.messages.filter((m) => m.ruleId === 'switchboard/private-subjects').map((m) => m.line);
    const lines = (await readFile(fixture, 'utf8')).split('\n');
    const leaks = lines.flatMap((line, i) => (line.includes('// leak') ? [i + 1] : []));
    expect(leaks.length).toBeGreaterThan(4);
    expect(reported).toEqual(leaks);
    // The fixture breaks nothing else, so the rule is what is being checked.
    expect(result!.messages.filter((m) => m.ruleId !== 'switchboard/private-subjects')).toEqual([]);
  }, 60_000);
});
