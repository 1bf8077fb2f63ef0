import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { resolveSecretOptions, secretEnvName } from '../../src/cli/secret-options.js';
import { DRIVERS } from '../../src/drives/registry.js';

test('environment names come from the setting names', () => {
  assert.equal(secretEnvName('clientSecret'), 'DRIVEMOUNT_CLIENT_SECRET');
  assert.equal(secretEnvName('refreshToken'), 'DRIVEMOUNT_REFRESH_TOKEN');
  // Every secret setting of every driver has one.
  for (const d of DRIVERS) for (const s of d.settings.filter((x) => x.secret)) assert.match(secretEnvName(s.key), /^DRIVEMOUNT_[A-Z_]+$/);
});

test('only options named after a secret setting are resolved: env fills an absent one, inline ones are warned about', async () => {
  const cmd = new Command('x').option('--client-secret <s>').option('--client-id <id>').option('--refresh-token <t>');
  cmd.parse(['--client-id', 'app', '--refresh-token', 'inline'], { from: 'user' });
  const warnings: string[] = [];
  await resolveSecretOptions(cmd, ['clientSecret', 'refreshToken'], {
    env: { DRIVEMOUNT_CLIENT_SECRET: 'from-env', DRIVEMOUNT_CLIENT_ID: 'not-a-secret' },
    warn: (l) => void warnings.push(l),
  });
  assert.equal(cmd.opts().clientSecret, 'from-env');
  assert.equal(cmd.opts().clientId, 'app');
  assert.equal(cmd.opts().refreshToken, 'inline');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /--refresh-token on the command line/);
  assert.ok(!warnings[0]!.includes('inline'), 'the warning repeats the secret');
});
