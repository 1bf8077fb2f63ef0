import type { DriverDescriptor, SettingSpec } from './descriptor.js';
import { aliyundriveDescriptor } from './aliyundrive/open/descriptor.js';
import { aliyundriveLegacyDescriptor } from './aliyundrive/legacy/descriptor.js';
import { oneDriveDescriptor } from './onedrive/descriptor.js';
import { oneDriveShareDescriptor } from './onedrive-share/descriptor.js';
import { aliyundriveShareDescriptor } from './aliyundrive/share/descriptor.js';

/** Every driver, one line each. Adding a service: its folder under src/drives/ and a line here. */
export const DRIVERS: readonly DriverDescriptor<any, any>[] = [
  oneDriveDescriptor,
  aliyundriveDescriptor,
  oneDriveShareDescriptor,
  aliyundriveLegacyDescriptor,
  aliyundriveShareDescriptor,
];

export function driverTypes(): string[] {
  return DRIVERS.map((d) => d.type);
}

export function findDriver(type: unknown): DriverDescriptor<any, any> | undefined {
  return DRIVERS.find((d) => d.type === type);
}

export function findDriverByEmulator(service: string): DriverDescriptor<any, any> | undefined {
  return DRIVERS.find((d) => d.emulator.service === service);
}

export function settingSpec(type: unknown, key: string): SettingSpec | undefined {
  return findDriver(type)?.settings.find((s) => s.key === key);
}

/** Keys secret in any driver (settings flagged secret and every credential key): masked and redacted. */
export function secretSettingKeys(): string[] {
  const keys = new Set<string>();
  for (const d of DRIVERS) {
    for (const s of d.settings) if (s.secret) keys.add(s.key);
    for (const k of d.credential.keys) keys.add(k);
  }
  return [...keys];
}
