const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${VAR}` and `${VAR:-default}` in every string of a parsed config; `$${` stays a literal `${`.
 * Substitution happens on parsed values, never on the YAML text, so an environment value cannot
 * change the structure of the file.
 * @param report called with the path of each string naming an unset variable without default.
 * @param secrets receives every value taken from the environment, for log redaction.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  report: (path: (string | number)[], message: string) => void,
  secrets: string[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name!];
      if (found !== undefined && found !== '') {
        secrets.push(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      report(path, `environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, report, secrets, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, report, secrets, [...path, key])]),
    );
  }
  return value;
}
