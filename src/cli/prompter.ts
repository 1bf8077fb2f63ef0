import { ConfigError } from '../util/errors.js';
import { InputLines } from './input-lines.js';

/**
 * Questions on the terminal. Lines are read from stdin whether or not it is a terminal (a
 * pasted URL may come through a pipe), but a question with a choice is only asked on a
 * terminal: elsewhere the default is taken, or the command says which flag answers it.
 */
export class Prompter {
  private readonly lines: InputLines;

  constructor(
    private readonly input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {
    this.lines = InputLines.of(input);
  }

  get interactive(): boolean {
    return this.input.isTTY === true;
  }

  say(text: string): void {
    this.output.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One line of input; undefined when input has ended. */
  async line(prompt: string): Promise<string | undefined> {
    this.output.write(prompt);
    return this.lines.next();
  }

  /** A secret: typed without echo on a terminal, else the next line of the input (a pipe). */
  async secret(prompt: string): Promise<string | undefined> {
    const line = await this.lines.hidden(() => this.output.write(prompt));
    if (this.interactive) this.output.write('\n'); // the Enter that was not echoed
    return line;
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

  /** Stop reading the input (so the process can exit); unread lines stay for a later Prompter. */
  close(): void {
    this.lines.release();
  }
}
