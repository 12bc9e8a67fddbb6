/** Base class of errors Switchboard raises on purpose. `code` is stable; `name` carries it for logs. */
export class SwitchboardError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = `${new.target.name}[${code}]`;
  }
}

/** A configuration problem, located by its path in the YAML file (e.g. `adapters.console.user`). */
export class ConfigError extends SwitchboardError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], file?: string) {
    const where = file ? ` in ${file}` : '';
    const lines = issues.map((i) => `  ${formatIssue(i)}`).join('\n');
    super('CONFIG_INVALID', `invalid configuration${where}:\n${lines}`);
    this.issues = issues;
  }
}

/** One problem found in a configuration file. */
export interface ConfigIssue {
  /** Dotted path, e.g. `users.0.tier`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the YAML file when known. */
  readonly line?: number;
}

function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? '(root)' : issue.path;
  return `${where}: ${issue.message}${issue.line ? ` (line ${issue.line})` : ''}`;
}

/** A directory change refused by the tier rules, or naming a user or identity that does not fit. */
export class DirectoryError extends SwitchboardError {
  /**
   * @param text the same refusal as a catalog message (`directory.<code>`), for chat replies in the
   * reader's language; `message` stays the English text for logs and the shell.
   */
  constructor(
    code: string,
    message: string,
    readonly text?: { readonly key: string; readonly params?: Readonly<Record<string, string | number>> },
  ) {
    super(code, message);
  }
}

/**
 * A failure meant for the person who ran the command. The dispatcher sends `message` back as the reply,
 * so it must be phrased for them and contain nothing secret.
 */
export class CommandError extends SwitchboardError {
  constructor(message: string, code = 'COMMAND') {
    super(code, message);
  }
}
