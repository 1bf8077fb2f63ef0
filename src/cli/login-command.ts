import type { Command } from 'commander';
import { DRIVERS } from '../drives/registry.js';
import type { DriverDescriptor } from '../drives/descriptor.js';
import { resolveSecretOptions, secretOptionsHelp } from './secret-options.js';

/** `drivemount login <service>`: from an account to a saved remote; each driver registers its own. */
export function registerLoginCommands(program: Command): void {
  const login = program.command('login').description('sign in to a service and save the result as a remote');
  for (const d of DRIVERS) {
    d.login.register(login, program);
    const cmd = login.commands.find((c) => c.name() === d.login.command);
    if (!cmd) continue;
    // Options named like a secret setting of the driver (--client-secret → clientSecret) are
    // read from stdin or the environment instead of argv; the driver's schema says which.
    const keys = secretKeys(d);
    cmd.addHelpText('after', secretOptionsHelp(cmd, keys));
    cmd.hook('preAction', (c) => resolveSecretOptions(c, keys));
  }
}

function secretKeys(d: DriverDescriptor<any, any>): string[] {
  return [...d.settings.filter((s) => s.secret).map((s) => s.key), ...d.credential.keys];
}
