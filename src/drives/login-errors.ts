import { DriveError } from '../util/errors.js';

/**
 * A login the service (or the user) refused: wrong secret, declined consent, an expired code.
 * The message says what happened and what to do; the CLI prints it and exits 1.
 */
export class LoginRefused extends DriveError {
  constructor(message: string) {
    super('EACCES', message);
    this.name = 'LoginRefused';
  }
}
