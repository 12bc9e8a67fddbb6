import type { IncomingMessage, Server, ServerResponse } from 'node:http';

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

/** Read a request body of at most `maxBytes`: the bytes, `'too large'`, or `'aborted'` when the client went away. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large' | 'aborted'> {
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
