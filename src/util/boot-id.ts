import { readFileSync } from 'node:fs';

let cached: string | null | undefined;

/**
 * This boot of the machine (Linux: /proc/sys/kernel/random/boot_id), or undefined where there is
 * none. Page-cache contents survive a killed process but not a restart: a record names the boot
 * its unflushed staged bytes were written in.
 */
export function bootId(): string | undefined {
  if (cached === undefined) {
    try {
      cached = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
