import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A ws server on 127.0.0.1 with an ephemeral port, closed by `close()`. */
export async function wsServer(options: { autoPong?: boolean } = {}): Promise<{ server: WebSocketServer; url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolve with the next connection. */
export function nextConnection(server: WebSocketServer): Promise<WebSocket> {
  return new Promise((resolve) => server.once('connection', resolve));
}


/** Parsed JSON messages a socket receives, in order. */
export function messages(socket: WebSocket): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  socket.on('message', (data) => out.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return out;
}
