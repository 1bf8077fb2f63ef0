// A node:test reporter that writes, when the run ends, how long each test file took — the
// slowest first — so the suite's time budget can be watched. Used beside the spec reporter by
// scripts/run-tests.mjs.
export default async function* fileTimes(source) {
  const byFile = new Map();
  for await (const event of source) {
    // Top-level tests and suites (nesting 0) carry their file; their durations summed are the
    // file's time, less any top-level hooks outside a suite.
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const ms = event.data.details?.duration_ms ?? 0;
      byFile.set(event.data.file, (byFile.get(event.data.file) ?? 0) + ms);
    }
  }
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, ms]) => s + ms, 0);
  yield `\nslowest test files (${rows.length} files, ${(total / 1000).toFixed(0)} s summed):\n`;
  for (const [file, ms] of rows.slice(0, 12)) {
    yield `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(/^.*\/dist\/test\//, 'test/')}\n`;
  }
}
