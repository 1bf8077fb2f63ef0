import { promises as fs } from 'node:fs';

export interface MountRecord {
  /** "major:minor" of the mounted filesystem; FUSE mounts' bdi is /sys/class/bdi/<dev>. */
  dev: string;
  mountpoint: string;
  fstype: string;
  source: string;
}

/** Parse /proc/self/mountinfo without touching any mount (stat on a dead FUSE mount blocks or fails). */
export async function readMounts(): Promise<MountRecord[]> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const out: MountRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    out.push({ dev: f[2]!, mountpoint: unescape(f[4]!), fstype: r[0]!, source: unescape(r[1] ?? '') });
  }
  return out;
}

export async function findMount(mountpoint: string): Promise<MountRecord | undefined> {
  const all = await readMounts();
  // The last entry wins: mounts stacked on one path shadow the earlier ones.
  return all.filter((m) => m.mountpoint === mountpoint).pop();
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
