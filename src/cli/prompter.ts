import { createInterface, type Interface } from 'node:readline';
import { ConfigError } from '../util/errors.js';

/**
 * Questions on the terminal. Lines are read from stdin whether or not it is a terminal (a
 * pasted URL may come through a pipe), but a question with a choice is only asked on a
 * terminal: elsewhere the default is taken, or the command says which flag answers it.
 */
export class Prompter {
  private rl?: Interface;
  private readonly lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private closed = false;

  constructor(
    private readonly input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {}

  get interactive(): boolean {
    return this.input.isTTY === true;
  }

  say(text: string): void {
    this.output.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One line of input; undefined when input has ended. */
  async line(prompt: string): Promise<string | undefined> {
    this.output.write(prompt);
    this.open();
    const queued = this.lines.shift();
    if (queued !== undefined) return queued;
    if (this.closed) return undefined;
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Pick one of `choices` by number; `flag` names the option that answers it without a terminal. */
  async choose<T>(question: string, choices: { label: string; value: T }[], o: { default: number; flag: string }): Promise<T> {
    if (!this.interactive) return choices[o.default]!.value;
    this.say(question);
    choices.forEach((c, i) => this.say(`  ${i + 1}) ${c.label}`));
    for (let tries = 0; tries < 5; tries++) {
      const answer = (await this.line(`choose 1-${choices.length} [${o.default + 1}]: `))?.trim();
      if (answer === undefined) break;
      if (answer === '') return choices[o.default]!.value;
      const n = Number(answer);
      if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!.value;
      this.say(`"${answer}" is not one of 1-${choices.length}`);
    }
    throw new ConfigError(`no choice was made; pass ${o.flag} instead`);
  }

  /** A free-text answer with a default (kept on an empty line). */
  async ask(question: string, o: { default?: string; flag: string }): Promise<string> {
    if (!this.interactive) {
      if (o.default !== undefined) return o.default;
      throw new ConfigError(`${question.replace(/[?:]\s*$/, '')}: no terminal to ask on; pass ${o.flag}`);
    }
    const answer = (await this.line(`${question}${o.default !== undefined ? ` [${o.default}]` : ''}: `))?.trim();
    if (answer === undefined) throw new ConfigError(`input ended; pass ${o.flag} instead`);
    return answer === '' && o.default !== undefined ? o.default : answer;
  }

  close(): void {
    this.rl?.close();
    this.rl = undefined;
  }

  private open(): void {
    if (this.rl || this.closed) return;
    this.rl = createInterface({ input: this.input, terminal: false });
    this.rl.on('line', (l) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(l);
      else this.lines.push(l);
    });
    this.rl.on('close', () => {
      this.closed = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(undefined);
    });
  }
}
