/**
 * Keeping secrets out of every output: log lines, errors printed at the terminal, `check`.
 *
 * Two layers. Known secret values (everything interpolated from the environment, adapter secrets,
 * feed tokens, and access tokens as token endpoints hand them out) are registered in {@link secrets}
 * and masked wherever they appear, JSON-escaped or not. Shapes that carry secrets are masked
 * whatever their value: a URL's userinfo, secret-named query parameters, `Authorization` values
 * (`Bearer …`, `QQBot …`, `Basic …`), and secret-named JSON fields.
 */
export class SecretRegistry {
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;
  private forms: (readonly string[])[] | undefined;

  /** Remember a value that must never be shown (shorter than 4 characters: too common to mask). */
  add(value: string | undefined): void {
    if (typeof value !== 'string' || value.length < 4 || this.values.has(value)) return;
    this.values.add(value);
    // Access tokens are added as they are issued (QQ: every two hours): the oldest go first.
    if (this.values.size > MaxSecrets) this.values.delete(this.values.values().next().value!);
    this.sorted = undefined;
    this.forms = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  /** The values, longest first (so that a secret containing another is masked whole). */
  list(): readonly string[] {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length);
    return this.sorted;
  }

  /** Each value as it may appear: itself, JSON-escaped and URL-encoded (distinct forms only), longest value first. */
  variants(): readonly (readonly string[])[] {
    this.forms ??= this.list().map((secret) => [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])]);
    return this.forms;
  }
}

/** Values remembered at most. */
const MaxSecrets = 1000;

/** The process's secrets: what the config and the adapters registered. */
export const secrets = new SecretRegistry();

const Masked = '[redacted]';
const SecretWords = 'token|access_token|accesstoken|key|apikey|api_key|secret|client_secret|clientsecret|password|passwd|pass|sig|signature|auth|code';
const userinfo = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@"'<>]+@/gi;
const query = new RegExp(`([?&](?:${SecretWords})=)[^&\\s"'#<>]*`, 'gi');
const authorization = /\b(Bearer|QQBot|Basic)(\s+)[A-Za-z0-9._~+/=:-]{4,}/g;
/** QQ's old fixed token: `Bot <appid>.<token>`. */
const botToken = /\b(Bot)(\s+)\d+\.[A-Za-z0-9._~+/=-]+/g;
const header = /(authorization["']?\s*[:=]\s*["']?)(?!(?:Bearer|QQBot|Basic|Bot)\s)[^\s"',}]+/gi;
const jsonField = /("(?:access_token|accessToken|token|secret|clientSecret|client_secret|appSecret|password|authorization)"\s*:\s*")(?:[^"\\]|\\.)*"/gi;

const ShapeChars = /[:=@"\s]/;

/** `text` with every registered secret and every secret-bearing shape masked. */
export function redact(text: string, registry: SecretRegistry = secrets): string {
  let out = text;
  for (const forms of registry.variants()) for (const form of forms) if (out.includes(form)) out = out.split(form).join(Masked);
  // Every shape below needs one of these characters: text without them (a plain word) has none.
  if (!ShapeChars.test(out)) return out;
  return out
    .replace(userinfo, `$1${Masked}@`)
    .replace(query, `$1${Masked}`)
    .replace(authorization, `$1$2${Masked}`)
    .replace(botToken, `$1$2${Masked}`)
    .replace(header, `$1${Masked}`)
    .replace(jsonField, `$1${Masked}"`);
}
