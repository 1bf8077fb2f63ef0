import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TinyServer {
  url: string;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** A throwaway HTTP server on 127.0.0.1 for unit tests of the client layers. */
export async function tinyServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<TinyServer> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Serve `data` with Range support; `hook` may cut or refuse individual requests. */
export function rangeHandler(data: Buffer, hook?: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => boolean) {
  return (req: http.IncomingMessage, res: http.ServerResponse, n: number) => {
    if (hook?.(req, res, n)) return;
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
      return;
    }
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    if (start >= data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      res.end();
      return;
    }
    res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${data.length}` });
    res.end(data.subarray(start, end + 1));
  };
}
