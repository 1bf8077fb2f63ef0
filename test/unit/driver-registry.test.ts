import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeConfigAtomic } from '../../src/config/config-file.js';
import { configShow } from '../../src/cli/config-command.js';
import { DRIVERS, findDriverByEmulator } from '../../src/drives/registry.js';
import type { EmulatorInfo } from '../../src/emulators/emulator-process.js';
import { createLogger } from '../../src/util/log.js';

const INFO: EmulatorInfo = { url: 'http://127.0.0.1:1', port: 1, clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt' };

/** The keys `parse` itself accepts, as it names them when refusing an unknown one. */
function keysParseAccepts(d: (typeof DRIVERS)[number]): string[] {
  const remote = { ...d.emulator.remoteSettings(INFO, 'rt'), 'no-such-key': 'x' };
  try {
    d.parse('r', remote);
  } catch (e) {
    const m = /\(known: ([^)]*)\)/.exec((e as Error).message);
    assert.ok(m, `${d.type}: an unknown key must be refused with the known keys named (got: ${(e as Error).message})`);
    return m[1]!.split(', ');
  }
  assert.fail(`${d.type}: parse accepted an unknown key`);
}

test('registry: types are unique and keep the names users have in their config files', () => {
  const types = DRIVERS.map((d) => d.type);
  assert.deepEqual(types, ['onedrive', 'aliyundrive-open', 'onedrive-share', 'aliyundrive', 'aliyundrive-share']);
  assert.equal(new Set(DRIVERS.map((d) => d.emulator.service)).size, DRIVERS.length);
});

for (const d of DRIVERS) {
  test(`${d.type}: the settings schema lists exactly the keys parse accepts, with kind and help`, () => {
    assert.deepEqual(keysParseAccepts(d).filter((k) => k !== 'type').sort(), d.settings.map((s) => s.key).sort());
    for (const s of d.settings) {
      assert.ok(['string', 'boolean', 'number'].includes(s.kind), `${s.key}: kind`);
      assert.ok(s.help.length > 0, `${s.key}: help`);
      if (s.default !== undefined) assert.equal(typeof s.default, s.kind, `${s.key}: default matches its kind`);
    }
  });

  test(`${d.type}: every credential key is a secret setting, and the emulator's remote parses`, () => {
    for (const k of d.credential.keys) assert.equal(d.settings.find((s) => s.key === k)?.secret, true, k);
    assert.doesNotThrow(() => d.parse('r', d.emulator.remoteSettings(INFO, 'rt')));
    assert.equal(findDriverByEmulator(d.emulator.service), d);
  });

  test(`${d.type}: config show masks every secret setting`, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-reg-'));
    const file = path.join(dir, 'config.json');
    const remote: Record<string, unknown> = { type: d.type };
    for (const s of d.settings) if (s.secret) remote[s.key] = `SECRET-${s.key}-value`;
    await writeConfigAtomic(file, { remotes: { r: remote } });
    const lines: string[] = [];
    await configShow(file, 'r', (l) => lines.push(l));
    const shown = JSON.parse(lines.join('\n')).r as Record<string, unknown>;
    for (const s of d.settings.filter((x) => x.secret)) {
      assert.match(String(shown[s.key]), /^\(hidden, \d+ characters\)$/, s.key);
    }
    assert.doesNotMatch(lines.join('\n'), /SECRET-/);
  });

  test(`${d.type}: the log censors every secret setting, top level and nested`, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-reg-'));
    const file = path.join(dir, 'log.json');
    const log = createLogger({ level: 'info', destination: file });
    const secrets: Record<string, string> = {};
    for (const s of d.settings) if (s.secret) secrets[s.key] = `LEAK-${s.key}`;
    for (const k of d.credential.keys) secrets[k] = `LEAK-${k}`;
    log.info({ ...secrets, body: { ...secrets }, remote: { settings: { ...secrets } } }, 'settings');
    log.flush();
    const text = await fs.readFile(file, 'utf8');
    assert.match(text, /settings/);
    assert.doesNotMatch(text, /LEAK-/);
  });
}
