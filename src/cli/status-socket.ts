import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../util/log.js';

/**
 * Where a running mount answers `drivemount status`: a unix socket in the user's runtime folder
 * (`$XDG_RUNTIME_DIR/drivemount`, else `/tmp/drivemount-UID`, mode 0700), named after the
 * mountpoint. Other users cannot reach it; nothing it sends is secret anyway (no URLs, no tokens).
 */
export function statusSocketPath(mountpoint: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'drivemount') : path.join(os.tmpdir(), `drivemount-${process.getuid?.() ?? 'user'}`);
  const key = createHash('sha256').update(path.resolve(mountpoint)).digest('hex').slice(0, 24);
  return path.join(dir, `${key}.sock`);
}

/** Serve `report()` as one JSON document to each connection until closed. */
export async function serveStatus(mountpoint: string, report: () => unknown, log: Logger): Promise<{ close(): Promise<void> }> {
  const sock = statusSocketPath(mountpoint);
  await fs.mkdir(path.dirname(sock), { recursive: true, mode: 0o700 });
  await assertPrivateFolder(path.dirname(sock));
  await fs.rm(sock, { force: true }); // a socket a killed mount left behind
  const server = net.createServer((c) => {
    c.on('error', () => undefined);
    let text: string;
    try {
      text = JSON.stringify(report());
    } catch (e) {
      text = JSON.stringify({ error: (e as Error).message });
    }
    c.end(text + '\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
  server.on('error', (e) => log.warn({ err: e.message }, `the status socket failed: ${e.message}`));
  await fs.chmod(sock, 0o600).catch(() => undefined);
  server.unref();
  return {
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await fs.rm(sock, { force: true });
    },
  };
}

/**
 * The socket's folder must be ours alone: in /tmp another user could have made it first and
 * planted a socket that answers for our mount (and names a pid that `unmount --force` signals).
 */
export async function assertPrivateFolder(dir: string): Promise<void> {
  const st = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private folder of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); remove it or set XDG_RUNTIME_DIR`);
  }
}

/** The document a running mount answers with. */
export async function askStatus(mountpoint: string, timeoutMs = 5000): Promise<unknown> {
  const sock = statusSocketPath(mountpoint);
  await assertPrivateFolder(path.dirname(sock));
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let text = '';
    const t = setTimeout(() => c.destroy(new Error(`no answer from the mount at ${mountpoint} within ${timeoutMs} ms`)), timeoutMs);
    c.setEncoding('utf8');
    c.on('data', (d) => (text += d));
    c.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    c.on('end', () => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(e);
      }
    });
  });
}
