/**
 * Parse a listen address: `host:port`, `[::1]:port`, `:port` or `port` (host defaults to 127.0.0.1).
 * @throws TypeError naming the bad value.
 */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(listen.trim());
  const port = Number(match?.[2]);
  if (!match || !(port >= 0 && port <= 65535)) throw new TypeError(`"${listen}" is not a listen address (host:port)`);
  const host = match[1] === undefined || match[1] === '' ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '');
  return { host, port };
}
