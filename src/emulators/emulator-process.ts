import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';
import { findDriverByEmulator } from '../drives/registry.js';

/** What `drivemount emulate` prints once listening. */
export interface EmulatorInfo {
  url: string;
  port: number;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** OneDrive: the user's drive. */
  driveId?: string;
  /** Aliyundrive: the online renew API on the emulator, and the drive ids by type. */
  renewApiUrl?: string;
  driveIds?: { default: string; resource: string; backup: string };
  /** OneDrive share: the share link to open, and its password if it has one. */
  shareUrl?: string;
  sharePassword?: string;
  /** Aliyundrive share: the id of the share the emulator made of its share root. */
  shareId?: string;
}

export interface EmulatorProcess {
  info: EmulatorInfo;
  child: ChildProcess;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * Run an emulator in its own process (the demo, tests and benchmarks do): it must not share an
 * event loop with a FUSE mount, and a mount must never be served by the process that uses it.
 */
export async function spawnEmulator(service: string, args: string[], nodeArgs: string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [...nodeArgs, MAIN, 'emulate', service, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<EmulatorInfo>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => reject(new Error(`emulator exited (code ${code}) before listening`));
    child.once('exit', onExit);
    child.once('error', reject);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as EmulatorInfo & { event?: string };
        if (msg.event === 'listening') {
          child.off('exit', onExit);
          resolve(msg);
        }
      } catch {
        /* not our line */
      }
    });
  });
  return {
    info,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** The config-file settings of a remote that talks to this emulator (what a login would produce). */
export function remoteSettingsFor(service: string, info: EmulatorInfo, refreshToken = info.refreshToken): Record<string, unknown> {
  const d = findDriverByEmulator(service);
  if (!d) throw new Error(`no driver is emulated by "${service}"`);
  return d.emulator.remoteSettings(info, refreshToken);
}
