import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

/** Limits every HTTP endpoint of the bridge runs with, so slow or greedy clients cannot pile up. */
export interface HttpBounds {
  /** Time to receive a request's headers. @defaultValue 10000 */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request, body included. @defaultValue 15000 */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. @defaultValue 5000 */
  readonly keepAliveTimeoutMs?: number;
  /** Connections open at once; more are closed as they arrive. @defaultValue 256 */
  readonly maxConnections?: number;
}

/** The defaults of {@link HttpBounds}. */
export const DefaultHttpBounds = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
} as const satisfies Required<HttpBounds>;

/**
 * A node:http server with bounded header and request times, idle keep-alive time and connection
 * count. Node's own defaults (a 300 s request timeout, no connection cap) let a few hundred
 * clients dripping a byte a second hold the server's sockets for minutes.
 * @throws RangeError when a timeout is not positive, the header timeout exceeds the request timeout, or the cap is below 1.
 */
export function createBoundedServer(handler: RequestListener, bounds: HttpBounds = {}): Server {
  const b = { ...DefaultHttpBounds, ...bounds };
  for (const [name, value] of Object.entries(b)) {
    if (!(value >= 1) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number (got ${value})`);
  }
  if (b.headersTimeoutMs > b.requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs (${b.headersTimeoutMs}) must not exceed requestTimeoutMs (${b.requestTimeoutMs})`);
  }
  const server = createServer(
    {
      headersTimeout: b.headersTimeoutMs,
      requestTimeout: b.requestTimeoutMs,
      keepAliveTimeout: b.keepAliveTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default), so a short timeout needs a short check.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(b.headersTimeoutMs / 4))),
      maxHeaderSize: 16 * 1024,
    },
    handler,
  );
  server.maxConnections = b.maxConnections;
  // A socket that sends nothing at all (not even a request line) is closed after the request timeout too.
  server.setTimeout(b.requestTimeoutMs, (socket) => socket.destroy());
  return server;
}

/** Start `server` on host:port; rejects with the bind error (a port in use, say). */
export function listenHttp(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stop `server`, dropping keep-alive connections so the close does not wait for clients. */
export function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The port a server is bound to (useful after listening on port 0); 0 when it is not listening. */
export function boundPort(server: Server | undefined): number {
  const address = server?.address();
  return address && typeof address === 'object' ? address.port : 0;
}

/**
 * Read a request body of at most `maxBytes`: the bytes, `'too large'` (also when Content-Length
 * says so, before anything is read), or `'aborted'` when the client went away.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return 'too large';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) return 'too large';
      chunks.push(chunk as Buffer);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(chunks);
}

/** Answer with a JSON body. */
export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
