import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../util/errors.js';

/**
 * The local end of an OAuth loopback redirect (`http://localhost:PORT/`). The browser lands here
 * after sign-in with `?code=…&state=…` (or `?error=…&state=…`). Only a request carrying this
 * login's `state` ends the wait: anything else reaching the port (another tab, a stale
 * redirect, a local process guessing) gets a short page and is ignored, so it can neither end
 * the login with a forged error nor slip in a code of its own.
 * `localhost` may resolve to 127.0.0.1 or ::1 depending on the browser, so both are served.
 */
export class LoopbackRedirect {
  private servers: http.Server[] = [];
  private resolveHit!: (u: URL) => void;
  readonly hit = new Promise<URL>((resolve) => (this.resolveHit = resolve));
  port = 0;

  constructor(private readonly state: string) {}

  get redirectUri(): string {
    return `http://localhost:${this.port}/`;
  }

  async listen(port: number): Promise<void> {
    const first = await this.serve('127.0.0.1', port);
    this.port = (first.address() as AddressInfo).port;
    try {
      await this.serve('::1', this.port);
    } catch {
      // No IPv6 loopback here: browsers will use 127.0.0.1.
    }
  }

  private serve(host: string, port: number): Promise<http.Server> {
    const server = http.createServer((req, res) => this.answer(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') {
          reject(new ConfigError(`port ${port} on ${host} is in use (another login running?) — pass --port with a free port`));
        } else reject(e);
      });
      server.listen(port, host, () => {
        this.servers.push(server);
        resolve(server);
      });
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', this.redirectUri);
    if (u.pathname !== '/' || (!u.searchParams.has('code') && !u.searchParams.has('error'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not the sign-in redirect\n');
      return;
    }
    if (u.searchParams.get('state') !== this.state) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
      res.end('<!doctype html><title>drivemount</title><p>This address does not answer the sign-in drivemount is waiting for (its "state" differs); it was ignored.</p>');
      return;
    }
    const ok = u.searchParams.has('code') && !u.searchParams.has('error');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
    res.end(
      ok
        ? '<!doctype html><title>drivemount</title><p>drivemount received the sign-in. You can close this window and return to the terminal.</p>'
        : '<!doctype html><title>drivemount</title><p>The sign-in did not complete; the terminal says why.</p>',
    );
    this.resolveHit(u);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers = [];
  }
}
