/** 1536 → "1.5 KiB": binary units, as df -h and ls -lh print them. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  // 1023.999 GiB prints as 1.00 TiB, not "1024 GiB".
  while (Math.abs(v) >= 1023.995 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

/** Bytes per second as MB/s (decimal, like dd and curl). */
export function formatRate(bytesPerSec: number): string {
  return `${(bytesPerSec / 1e6).toFixed(bytesPerSec < 1e7 ? 2 : 1)} MB/s`;
}

export function describeSpace(q: { total?: number; used?: number; remaining?: number; free?: number } | undefined): string {
  if (!q || (q.total === undefined && q.used === undefined)) return 'space unknown';
  const free = q.free ?? q.remaining;
  return `${formatBytes(q.used)} used of ${formatBytes(q.total)}${free !== undefined ? ` (${formatBytes(free)} free)` : ''}`;
}
