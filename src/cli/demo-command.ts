import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import { writeConfigAtomic } from '../config/config-file.js';
import { spawnEmulator } from '../emulators/emulator-process.js';
import { createLogger } from '../util/log.js';
import { ensureDemoContent } from './demo-content.js';
import { mountCommand, type MountCommandOptions } from './mount-command.js';

/**
 * `drivemount demo [MOUNTPOINT]`: sample content, the OneDrive emulator in a child process, a
 * config file pointing at it, and a mount in the foreground until Ctrl-C.
 */
export async function demoCommand(mountpoint: string, o: MountCommandOptions & { data: string; bigFileMib: string }): Promise<number> {
  const log = createLogger({ level: o.logLevel as LevelWithSilent, destination: o.logFile, format: o.logFormat });
  const dataDir = path.resolve(o.data);
  const root = path.join(dataDir, 'onedrive');
  await ensureDemoContent(root, Number(o.bigFileMib), (m) => log.info(m));
  const emu = await spawnEmulator('onedrive', ['--root', root, '--port', '0']);
  try {
    const configFile = path.join(dataDir, 'config.json');
    await writeConfigAtomic(configFile, {
      remotes: {
        demo: {
          type: 'onedrive',
          refreshToken: emu.info.refreshToken,
          clientId: emu.info.clientId,
          clientSecret: emu.info.clientSecret,
          authUrl: emu.info.url,
          graphUrl: emu.info.url,
        },
      },
    });
    const mnt = path.resolve(mountpoint);
    await fs.mkdir(mnt, { recursive: true });
    log.info(`demo drive (emulator at ${emu.info.url}) mounting at ${mnt} — try: ls -l ${mnt}; press Ctrl-C to unmount`);
    return await mountCommand('demo', mnt, { ...o, config: configFile }, log);
  } finally {
    await emu.stop();
  }
}
