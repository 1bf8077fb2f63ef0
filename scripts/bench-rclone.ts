// rclone mount over the same Graph emulator, for side-by-side figures (optional: only when
// `rclone` is on PATH; nothing else depends on it).
//
// rclone's OneDrive backend takes its Graph host from --onedrive-region alone (graph.microsoft.com
// for "global"); only the token URL is configurable. It does honour HTTPS_PROXY and --ca-cert, so
// it is pointed at a local CONNECT proxy that answers TLS for graph.microsoft.com with a
// certificate from a throw-away CA and forwards each request, unencrypted, to the emulator on
// 127.0.0.1. Nothing leaves loopback: the proxy never resolves or dials the name it is asked for.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { EmulatorProcess } from '../src/emulators/emulator-process.js';
import { mintRefreshToken } from './bench-lib.js';

const run = promisify(execFile);
const GRAPH_HOST = 'graph.microsoft.com';

export function rcloneOnPath(): boolean {
  try {
    execFileSync('rclone', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA and a graph.microsoft.com certificate it signed, made once under `dir`. */
async function certificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  const f = (n: string) => path.join(dir, n);
  if (!existsSync(f('leaf.pem'))) {
    await fs.mkdir(dir, { recursive: true });
    const ossl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'ignore' });
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=drivemount bench CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${GRAPH_HOST}`, '-keyout', f('leaf.key'), '-out', f('leaf.csr'));
    await fs.writeFile(f('ext.cnf'), `subjectAltName=DNS:${GRAPH_HOST}\nextendedKeyUsage=serverAuth\n`);
    ossl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('leaf.pem'));
  }
  return { ca: f('ca.pem'), key: await fs.readFile(f('leaf.key'), 'utf8'), cert: await fs.readFile(f('leaf.pem'), 'utf8') };
}

/** CONNECT graph.microsoft.com:443 → TLS ended here → plain HTTP to the emulator. Anything else is refused. */
async function startProxy(target: URL, key: string, cert: string): Promise<http.Server> {
  const inner = http.createServer((req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, socket) => {
    if (req.url !== `${GRAPH_HOST}:443`) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
    inner.emit('connection', secure);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}

export interface RcloneMount {
  mnt: string;
  /** rclone's process id (for its peak RSS). */
  pid: number;
  unmount(): Promise<void>;
}

/** `rclone mount` of the emulator's drive, read-only, rclone's defaults otherwise. */
export async function rcloneMount(emu: EmulatorProcess, work: string): Promise<RcloneMount> {
  const { ca, key, cert } = await certificates(path.join(work, 'rclone-tls'));
  const proxy = await startProxy(new URL(emu.info.url), key, cert);
  const token = { access_token: 'none-yet', token_type: 'Bearer', refresh_token: await mintRefreshToken(emu), expiry: '2000-01-01T00:00:00Z' };
  const cfg = path.join(work, 'rclone.conf');
  await fs.writeFile(cfg, [
    '[emu]', 'type = onedrive', `client_id = ${emu.info.clientId}`, `client_secret = ${emu.info.clientSecret}`,
    `token = ${JSON.stringify(token)}`, `drive_id = ${emu.info.driveId}`, 'drive_type = personal',
    `token_url = ${emu.info.url}/common/oauth2/v2.0/token`, `auth_url = ${emu.info.url}/common/oauth2/v2.0/authorize`, '',
  ].join('\n'), { mode: 0o600 });
  const mnt = await fs.mkdtemp(path.join(work, 'rclone-mnt-'));
  const port = (proxy.address() as AddressInfo).port;
  const child: ChildProcess = spawn('rclone', ['mount', 'emu:', mnt, '--config', cfg, '--ca-cert', ca, '--read-only', '--poll-interval', '0'], {
    // Go sends loopback requests (the emulator's download and paging links) past the proxy by itself.
    env: { ...process.env, HTTPS_PROXY: `http://127.0.0.1:${port}`, https_proxy: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const stop = async () => {
    await run('fusermount', ['-u', mnt]).catch(() => run('fusermount', ['-uz', mnt]).catch(() => undefined));
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    proxy.close();
    await fs.rmdir(mnt).catch(() => undefined);
  };
  const t = Date.now();
  for (;;) {
    const mounted = (await fs.readFile('/proc/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === mnt);
    if (mounted) break;
    if (child.exitCode !== null || Date.now() - t > 20_000) {
      await stop();
      throw new Error(`rclone mount failed: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { mnt, pid: child.pid!, unmount: stop };
}
