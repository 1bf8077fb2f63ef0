import { spawn } from 'node:child_process';

/**
 * Best effort: hand the URL to the desktop's browser when there is a desktop. The URL is always
 * printed too, so a failure here changes nothing.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER) return false;
  const [cmd, ...args] = env.BROWSER ? [env.BROWSER, url] : ['xdg-open', url];
  try {
    const child = spawn(cmd!, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
