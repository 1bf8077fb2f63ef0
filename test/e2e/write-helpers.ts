// Small helpers shared by the write-*.test.ts files (not a test file itself).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { sh } from '../helpers/harness.js';

/** A path quoted for bash. */
export function q(p: string): string {
  return `'${p.replace(/'/g, `'\\''`)}'`;
}

/** Run a command that must succeed; returns its stdout. */
export async function ok(cmd: string): Promise<string> {
  const r = await sh(cmd);
  assert.equal(r.code, 0, `command failed (exit ${r.code}): ${cmd}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Run a command that must fail, with `text` (a strerror text) in its error output. */
export async function fails(cmd: string, text: string): Promise<string> {
  const r = await sh(cmd);
  assert.notEqual(r.code, 0, `command should have failed with "${text}" but succeeded: ${cmd}\n${r.stdout}${r.stderr}`);
  assert.ok(r.stderr.includes(text), `command should have failed with "${text}": ${cmd}\nexit ${r.code}, stderr: ${r.stderr}`);
  return r.stderr;
}

/** `size` random bytes in `file`. */
export async function randomFile(file: string, size: number): Promise<void> {
  await ok(`head -c ${size} /dev/urandom > ${q(file)}`);
  assert.equal((await fs.stat(file)).size, size);
}

/** Exit code of `cmp a b` (0: identical). Output goes into the assertion message. */
export async function cmp(a: string, b: string): Promise<{ code: number; out: string }> {
  const r = await sh(`cmp ${q(a)} ${q(b)}`);
  return { code: r.code, out: r.stdout + r.stderr };
}

export async function assertSame(a: string, b: string, what = ''): Promise<void> {
  const r = await cmp(a, b);
  assert.equal(r.code, 0, `${what ? what + ': ' : ''}${a} and ${b} differ: ${r.out}`);
}

/** Every entry below `dir` with type, size and mtime, and the hash of every file: a snapshot to compare. */
export async function snapshot(dir: string): Promise<string> {
  const list = await ok(`cd ${q(dir)} && find . -mindepth 1 -printf '%P\\t%y\\t%s\\t%T@\\n' | LC_ALL=C sort`);
  const hashes = await ok(`cd ${q(dir)} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`);
  return list + '\n' + hashes;
}

/** `stat -c FORMAT` of a path. */
export async function statc(format: string, p: string): Promise<string> {
  return (await ok(`stat -c ${q(format)} ${q(p)}`)).trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Paths under `cacheDir` that the mount's log names. */
export function pathsNamedIn(log: string, cacheDir: string): string[] {
  const esc = cacheDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...new Set([...log.matchAll(new RegExp(`${esc}/[^"\\s,;)]+`, 'g'))].map((m) => m[0]))];
}

/** Files directly in a folder (none if it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

/** Counter increases between two emulator stats snapshots. */
export function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
}
