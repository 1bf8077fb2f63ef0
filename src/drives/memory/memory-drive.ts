import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriveError } from '../../util/errors.js';
import type { Drive, DriveAbout, DriveCapabilities, DriveWriter, Quota, RemoteEntry, UploadSource } from '../types.js';

/** Every call a test can count, delay or fail. */
export type MemoryOp = 'connect' | 'stat' | 'list' | 'readRange' | 'upload' | 'mkdir' | 'move' | 'remove' | 'setModified' | 'quota' | 'about';

interface Node {
  id: string;
  name: string;
  isDir: boolean;
  data: Buffer;
  children: Map<string, Node>;
  parent?: Node;
  mtimeMs: number;
  birthtimeMs: number;
  sha1?: string;
}

/** Bytes per chunk a read yields: small enough that reads interleave as from a network. */
const CHUNK = 64 * 1024;

/**
 * A whole drive in memory, with hooks to fail, delay or cut individual calls, for in-process
 * tests of the VFS and driver conformance (after mountpoint-s3's mock and failure-injecting
 * clients). It behaves as a strict POSIX-like service: exact, case-sensitive names, EEXIST for a
 * taken name unless the caller says what it replaces, ENOENT/ENOTDIR/ENOTEMPTY where POSIX has
 * them. A cut read yields K bytes and then throws DriveError EIO: resuming is a driver's job,
 * so this drive (a driver that gave up) shows the consumer what a failed range looks like.
 */
export class MemoryDrive implements Drive {
  readonly name: string;
  readonly capabilities: DriveCapabilities;
  readonly writer: DriveWriter;
  /** Calls made, per operation (a failed or delayed call counts too). */
  readonly calls: Record<MemoryOp, number> = {
    connect: 0, stat: 0, list: 0, readRange: 0, upload: 0, mkdir: 0, move: 0, remove: 0, setModified: 0, quota: 0, about: 0,
  };
  private readonly root: Node;
  private readonly byId = new Map<string, Node>();
  private nextId = 1;
  private readonly failures = new Map<string, DriveError>();
  private readonly delays = new Map<MemoryOp, number>();
  private readonly cuts = new Map<number, number>();

  /** `maxFileBytes`: the largest file it takes (a service's limit, for tests of EFBIG); none by default. */
  constructor(opts: { name?: string; totalBytes?: number; maxFileBytes?: number } = {}) {
    this.name = opts.name ?? 'memory';
    this.capabilities = { caseInsensitive: false, linksInListing: false, hash: 'sha1', pathLookup: true, maxFileBytes: opts.maxFileBytes };
    this.totalBytes = opts.totalBytes ?? 2 ** 40;
    this.root = this.node('', true);
    this.writer = {
      checkName: (p) => this.checkName(p),
      upload: (p, src, o) => this.upload(p, src, o),
      mkdir: (p) => this.mkdir(p),
      move: (from, e, to, o) => this.move(from, e, to, o),
      remove: (p, e) => this.remove(p, e),
      setModified: (p, e, t) => this.setModified(p, e, t),
    };
  }

  private readonly totalBytes: number;

  // ---- fault hooks -------------------------------------------------------------------------

  /** The `nth` call (1-based, counted from the drive's creation) of `op` throws `error`. */
  failAt(op: MemoryOp, nth: number, error: DriveError = new DriveError('EIO', `injected failure of ${op} #${nth}`)): void {
    this.failures.set(`${op}#${nth}`, error);
  }

  /** Every later call of `op` waits `ms` first (0 removes the delay). */
  delay(op: MemoryOp, ms: number): void {
    if (ms > 0) this.delays.set(op, ms);
    else this.delays.delete(op);
  }

  /** The `nth` readRange call yields `afterBytes` bytes, then throws DriveError EIO. */
  cutReadAt(nth: number, afterBytes: number): void {
    this.cuts.set(nth, afterBytes);
  }

  // ---- seeding, for tests ------------------------------------------------------------------

  /** Create a file (and its missing folders) with these bytes, replacing what is there. */
  put(path: string, data: Buffer | string, mtimeMs = Date.now()): RemoteEntry {
    const parts = this.parts(path);
    let dir = this.root;
    for (const name of parts.slice(0, -1)) {
      let next = dir.children.get(name);
      if (!next) dir.children.set(name, (next = this.node(name, true, dir)));
      if (!next.isDir) throw new DriveError('ENOTDIR', `${path}: ${name} is a file`);
      dir = next;
    }
    const name = parts[parts.length - 1]!;
    let f = dir.children.get(name);
    if (f?.isDir) throw new DriveError('EISDIR', `${path} is a folder`);
    if (!f) dir.children.set(name, (f = this.node(name, false, dir)));
    this.setData(f, Buffer.from(data), mtimeMs);
    return this.entry(f);
  }

  /** The bytes of a file now, or undefined. */
  content(path: string): Buffer | undefined {
    const n = this.find(path);
    return n && !n.isDir ? Buffer.from(n.data) : undefined;
  }

  // ---- Drive -------------------------------------------------------------------------------

  async connect(): Promise<void> {
    await this.enter('connect');
  }

  async stat(path: string): Promise<RemoteEntry> {
    await this.enter('stat');
    return this.entry(this.lookup(path));
  }

  async list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    await this.enter('list');
    const n = dir ? this.byId.get(dir.id) : this.lookup(path);
    if (!n) throw new DriveError('ENOENT', `list ${path}: no such folder`);
    if (!n.isDir) throw new DriveError('ENOTDIR', `list ${path}: not a folder`);
    return [...n.children.values()].map((c) => this.entry(c));
  }

  async *readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const call = await this.enter('readRange');
    // Like a download link, a read addresses the item, not the path: a renamed file still reads.
    const n = this.byId.get(entry.id);
    if (!n || n.isDir) throw new DriveError('ENOENT', `read ${path}: no such file`);
    const data = n.data; // the bytes at the time of the request, as a service's snapshot
    const cut = this.cuts.get(call);
    const stop = Math.min(end, data.length, cut !== undefined ? start + cut : Infinity);
    for (let p = start; p < stop; p += CHUNK) {
      await sleep(0);
      if (signal?.aborted) throw new DriveError('EIO', `read ${path}: cancelled`);
      yield Buffer.from(data.subarray(p, Math.min(stop, p + CHUNK)));
    }
    if (cut !== undefined && start + cut < Math.min(end, data.length)) {
      throw new DriveError('EIO', `read ${path}: body cut after ${cut} bytes (injected)`);
    }
  }

  async quota(): Promise<Quota> {
    await this.enter('quota');
    const used = this.usedBytes(this.root);
    return { total: this.totalBytes, used, free: Math.max(0, this.totalBytes - used) };
  }

  async about(): Promise<DriveAbout> {
    await this.enter('about');
    const used = this.usedBytes(this.root);
    return { account: 'memory', driveType: 'memory', driveId: this.name, quota: { total: this.totalBytes, used, free: Math.max(0, this.totalBytes - used) } };
  }

  async close(): Promise<void> {
    /* nothing to free */
  }

  // ---- writer ------------------------------------------------------------------------------

  private checkName(path: string): void {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (name === '' || name === '.' || name === '..' || name.includes('\0')) throw new DriveError('EINVAL', `${path}: not a valid name`);
    if (Buffer.byteLength(name) > 255) throw new DriveError('ENAMETOOLONG', `${path}: name too long`);
  }

  private async upload(path: string, src: UploadSource, o: { mtimeMs?: number; replaces?: RemoteEntry }): Promise<RemoteEntry> {
    await this.enter('upload');
    this.checkName(path);
    const max = this.capabilities.maxFileBytes;
    if (max !== undefined && src.size > max) throw new DriveError('EFBIG', `upload ${path}: ${src.size} bytes is more than the ${max} a file may have`);
    const { dir, name } = this.parentOf(path);
    const chunks: Buffer[] = [];
    for (let off = 0; off < src.size; ) {
      const b = await src.read(off, Math.min(1 << 20, src.size - off));
      if (b.length === 0) throw new DriveError('EIO', `upload ${path}: the source ended at ${off} of ${src.size}`);
      chunks.push(Buffer.from(b));
      off += b.length;
      src.progress?.(off);
    }
    // Checked after the bytes arrived, as a service checks at commit.
    const existing = dir.children.get(name);
    if (existing) {
      if (existing.isDir) throw new DriveError('EISDIR', `upload ${path}: a folder has the name`);
      if (o.replaces?.id !== existing.id) throw new DriveError('EEXIST', `upload ${path}: the name is taken`);
    }
    const f = existing ?? this.node(name, false, dir);
    dir.children.set(name, f);
    this.setData(f, Buffer.concat(chunks), o.mtimeMs ?? Date.now());
    return this.entry(f);
  }

  private async mkdir(path: string): Promise<RemoteEntry> {
    await this.enter('mkdir');
    this.checkName(path);
    const { dir, name } = this.parentOf(path);
    if (dir.children.has(name)) throw new DriveError('EEXIST', `mkdir ${path}: the name is taken`);
    const d = this.node(name, true, dir);
    dir.children.set(name, d);
    return this.entry(d);
  }

  private async move(from: string, entry: RemoteEntry, to: string, o: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    await this.enter('move');
    this.checkName(to);
    const n = this.lookup(from);
    if (n.id !== entry.id) throw new DriveError('ENOENT', `rename ${from}: the item there is another one`);
    if (n === this.root) throw new DriveError('EBUSY', 'the root cannot be moved');
    const { dir, name } = this.parentOf(to);
    for (let p: Node | undefined = dir; p; p = p.parent) {
      if (p === n) throw new DriveError('EINVAL', `rename ${from} → ${to}: a folder cannot move into itself`);
    }
    const target = dir.children.get(name);
    if (target && target !== n) {
      if (o.replaces?.id !== target.id) throw new DriveError('EEXIST', `rename ${from} → ${to}: the name is taken`);
      if (n.isDir && !target.isDir) throw new DriveError('ENOTDIR', `rename ${from} → ${to}: the target is a file`);
      if (!n.isDir && target.isDir) throw new DriveError('EISDIR', `rename ${from} → ${to}: the target is a folder`);
      if (target.isDir && target.children.size > 0) throw new DriveError('ENOTEMPTY', `rename ${from} → ${to}: the target folder is not empty`);
      this.drop(target);
    }
    n.parent!.children.delete(n.name);
    n.name = name;
    n.parent = dir;
    dir.children.set(name, n);
    return this.entry(n);
  }

  private async remove(path: string, entry: RemoteEntry): Promise<void> {
    await this.enter('remove');
    const n = this.lookup(path);
    if (n.id !== entry.id) throw new DriveError('ENOENT', `remove ${path}: the item there is another one`);
    if (n === this.root) throw new DriveError('EBUSY', 'the root cannot be removed');
    if (n.isDir && n.children.size > 0) throw new DriveError('ENOTEMPTY', `remove ${path}: the folder is not empty`);
    n.parent!.children.delete(n.name);
    this.drop(n);
  }

  private async setModified(path: string, entry: RemoteEntry, mtimeMs: number): Promise<RemoteEntry> {
    await this.enter('setModified');
    const n = this.byId.get(entry.id);
    if (!n) throw new DriveError('ENOENT', `set time of ${path}: no such item`);
    n.mtimeMs = mtimeMs;
    return this.entry(n);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Count the call, wait its delay, and throw its injected failure; returns the call's number. */
  private async enter(op: MemoryOp): Promise<number> {
    const n = ++this.calls[op];
    const ms = this.delays.get(op);
    if (ms) await sleep(ms);
    const e = this.failures.get(`${op}#${n}`);
    if (e) throw e;
    return n;
  }

  private node(name: string, isDir: boolean, parent?: Node): Node {
    const now = Date.now();
    const n: Node = { id: `m${this.nextId++}`, name, isDir, data: Buffer.alloc(0), children: new Map(), parent, mtimeMs: now, birthtimeMs: now };
    this.byId.set(n.id, n);
    return n;
  }

  private setData(f: Node, data: Buffer, mtimeMs: number): void {
    f.data = data;
    f.mtimeMs = mtimeMs;
    f.sha1 = createHash('sha1').update(data).digest('hex').toUpperCase();
  }

  private drop(n: Node): void {
    this.byId.delete(n.id);
    for (const c of n.children.values()) this.drop(c);
  }

  private entry(n: Node): RemoteEntry {
    return {
      id: n.id, name: n.name, isDir: n.isDir, size: n.isDir ? 0 : n.data.length, mtimeMs: n.mtimeMs, birthtimeMs: n.birthtimeMs,
      hashes: n.isDir ? undefined : { sha1: n.sha1 },
    };
  }

  private parts(path: string): string[] {
    return path.split('/').filter((p) => p !== '');
  }

  private find(path: string): Node | undefined {
    let n: Node | undefined = this.root;
    for (const name of this.parts(path)) {
      if (!n.isDir) return undefined;
      n = n.children.get(name);
      if (!n) return undefined;
    }
    return n;
  }

  /** The node at `path`, or ENOENT/ENOTDIR as POSIX gives them. */
  private lookup(path: string): Node {
    let n: Node = this.root;
    for (const name of this.parts(path)) {
      if (!n.isDir) throw new DriveError('ENOTDIR', `${path}: ${n.name} is not a folder`);
      const next = n.children.get(name);
      if (!next) throw new DriveError('ENOENT', `${path}: no such file or folder`);
      n = next;
    }
    return n;
  }

  private parentOf(path: string): { dir: Node; name: string } {
    const parts = this.parts(path);
    const name = parts.pop();
    if (name === undefined) throw new DriveError('EINVAL', `${path}: the root has no name`);
    const dir = this.lookup('/' + parts.join('/'));
    if (!dir.isDir) throw new DriveError('ENOTDIR', `${path}: the parent is not a folder`);
    return { dir, name };
  }

  private usedBytes(n: Node): number {
    let sum = n.isDir ? 0 : n.data.length;
    for (const c of n.children.values()) sum += this.usedBytes(c);
    return sum;
  }
}
