import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  server: http.Server;
  port: number;
  /** e.g. http://127.0.0.1:41234 — what clients use as the service's host. */
  url: string;
  /** Stop accepting, drop open connections (keep-alive ones too) and wait until closed. */
  stop(): Promise<void>;
}

/** Serve `handle` on host:port (0 = any free port), the way every emulator listens. */
export async function listenHttp(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  host: string,
  port: number,
): Promise<Listening> {
  const server = http.createServer((req, res) => void handle(req, res));
  // Longer than typical client pool idle times, so pooled connections are
  // normally closed by the client rather than raced by the server.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: bound,
    url: `http://${urlHost}:${bound}`,
    stop: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}
