import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN } from './harness.js';

/**
 * A `drivemount` command driven the way a user drives it: read what it prints, answer on its
 * stdin. With `pty: true` it runs under `script(1)`, so it sees a terminal (prompts, choices).
 */
export class CliSession {
  private readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], o: { pty?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
    const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', BROWSER: '', ...o.env };
    if (o.pty) {
      const cmd = [process.execPath, MAIN, ...args].map(shellQuote).join(' ');
      // -q quiet, -f flush at once, -e child's exit code, -c the command; the typescript goes nowhere.
      this.child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    } else {
      this.child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    }
    const take = (d: Buffer) => {
      this.output += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        clearTimeout(timer);
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      }),
    );
  }

  /** Resolves with the first match of `re` in the output so far or to come. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > end) {
        throw new Error(`no ${re} in the output${this.child.exitCode !== null ? ` (exited ${this.child.exitCode})` : ''}:\n${this.output}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
