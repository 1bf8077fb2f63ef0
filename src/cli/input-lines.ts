type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

const shared = new WeakMap<object, InputLines>();

/**
 * The lines of one input stream (stdin), shared by everything that reads it: a secret read
 * before a command runs and the questions the command asks later must not each buffer their
 * own chunk of a pipe and lose the other's lines. On a terminal a line can also be read
 * without echo (a secret typed at a prompt).
 */
export class InputLines {
  private buf = '';
  private readonly lines: string[] = [];
  private ended = false;
  private waiter?: () => void;
  private listening = false;
  /** While a hidden line is typed: what has been typed so far. */
  private hiddenTyped?: string;

  static of(input: Input): InputLines {
    let l = shared.get(input);
    if (!l) shared.set(input, (l = new InputLines(input)));
    return l;
  }

  private constructor(private readonly input: Input) {}

  /** The next line (without its line ending); undefined once the input has ended. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.ended) return undefined;
      this.listen();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /**
   * On a terminal: one line typed without echo. Elsewhere: the next line, as next().
   * `prompt` is written only once echo is off: the terminal applies the mode change after its
   * pending output (TCSADRAIN), so a prompt written first can be answered while echo is still on.
   */
  async hidden(prompt: () => void = () => undefined): Promise<string | undefined> {
    if (!this.input.isTTY || typeof this.input.setRawMode !== 'function') {
      prompt();
      return this.next();
    }
    this.hiddenTyped = '';
    this.input.setRawMode(true);
    try {
      prompt();
      return await this.next();
    } finally {
      this.hiddenTyped = undefined;
      this.input.setRawMode(false);
    }
  }

  /** Stop reading for now (lets the process exit); lines already read stay queued. */
  release(): void {
    if (!this.listening) return;
    this.listening = false;
    this.input.removeListener('data', this.onData);
    this.input.removeListener('end', this.onEnd);
    this.input.pause();
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.resume();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    let text = chunk.toString();
    if (this.hiddenTyped !== undefined) text = this.typeHidden(text);
    this.buf += text;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      this.lines.push(this.buf.slice(0, i).replace(/\r$/, ''));
      this.buf = this.buf.slice(i + 1);
    }
    this.wake();
  };

  private readonly onEnd = (): void => {
    if (this.buf !== '') this.lines.push(this.buf.replace(/\r$/, ''));
    this.buf = '';
    this.ended = true;
    this.wake();
  };

  /** Raw-mode keys of a hidden line; returns what follows the line, read as ordinary input. */
  private typeHidden(text: string): string {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\r' || c === '\n') {
        this.lines.push(this.hiddenTyped!);
        this.hiddenTyped = undefined;
        return text.slice(i + 1).replace(/^\n/, '');
      }
      if (c === '\u0003') {
        // Ctrl-C: raw mode swallowed the signal, so give it back.
        this.input.setRawMode?.(false);
        process.kill(process.pid, 'SIGINT');
        return '';
      }
      if (c === '\u0004' && this.hiddenTyped === '') {
        this.hiddenTyped = undefined;
        this.ended = true;
        return '';
      }
      if (c === '\u007f' || c === '\b') this.hiddenTyped = this.hiddenTyped!.slice(0, -1);
      else if (c >= ' ') this.hiddenTyped += c;
    }
    return '';
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
