import type { Command } from 'commander';
import { DRIVERS } from '../drives/registry.js';

/** `drivemount login <service>`: from an account to a saved remote; each driver registers its own. */
export function registerLoginCommands(program: Command): void {
  const login = program.command('login').description('sign in to a service and save the result as a remote');
  for (const d of DRIVERS) d.login.register(login, program);
}
