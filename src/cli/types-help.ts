import { DRIVERS } from '../drives/registry.js';

/** Help text listing each remote type and its settings, read from the driver descriptors. */
export function remoteTypesHelp(): string {
  const lines = ['', 'Remote types and their settings (drivemount config set NAME key=value):'];
  for (const d of DRIVERS) {
    lines.push(`  ${d.type} — ${d.description} (create one with "drivemount login ${d.login.command}")`);
    const width = Math.max(...d.settings.map((s) => s.key.length));
    for (const s of d.settings) {
      const dflt = s.default === undefined ? '' : ` (default ${JSON.stringify(s.default)})`;
      lines.push(`    ${s.key.padEnd(width)}  ${s.kind.padEnd(7)}  ${s.help}${dflt}${s.secret ? ' [secret]' : ''}`);
    }
  }
  return lines.join('\n');
}
