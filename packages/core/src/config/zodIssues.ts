import type { z } from 'zod';

/** Report one zod issue as a config issue at `prefix` + its path, phrased for people. */
export function reportZodIssue(
  issue: z.ZodIssue,
  prefix: readonly (string | number)[],
  add: (path: readonly (string | number)[], message: string) => void,
): void {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_type':
      add(path, issue.received === 'undefined' ? 'required' : `expected ${issue.expected}, got ${issue.received}`);
      return;
    case 'unrecognized_keys':
      for (const key of issue.keys) add([...path, key], 'unknown key');
      return;
    case 'invalid_union_discriminator':
      add(path, `must be one of ${issue.options.map(String).join(', ')}`);
      return;
    case 'invalid_enum_value':
      add(path, `must be one of ${issue.options.join(', ')} (got ${JSON.stringify(issue.received)})`);
      return;
    case 'invalid_union': {
      // Report the branch that got furthest instead of zod's generic "Invalid input".
      const best = issue.unionErrors
        .map((e) => e.issues)
        .sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)))[0];
      const first = best?.find((i) => !(i.code === 'invalid_type' && i.path.length === 0)) ?? best?.[0];
      if (first) return reportZodIssue(first, prefix, add);
      add(path, 'invalid value');
      return;
    }
    case 'too_small':
      add(path, issue.type === 'string' && issue.minimum === 1 ? 'must not be empty' : issue.message.toLowerCase());
      return;
    default:
      add(path, issue.message.charAt(0).toLowerCase() + issue.message.slice(1));
  }
}
