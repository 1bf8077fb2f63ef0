#!/usr/bin/env bash
# Installs whatever is missing, then builds. `npm run demo` and `npm test` both start here,
# so a fresh Debian machine needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# 1. System packages: libfuse 2 headers for the binding, fusermount, pkg-config;
#    rsync is used by the tests. All from Debian.
need=()
pkg-config --exists fuse 2>/dev/null || need+=(libfuse-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v fusermount >/dev/null 2>&1 || need+=(fuse)
command -v rsync >/dev/null 2>&1 || need+=(rsync)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${need[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    say "missing system packages: ${need[*]}"
    say "run:  sudo apt-get install -y ${need[*]}   and then this command again"
    exit 1
  fi
fi
if [ ! -e /dev/fuse ]; then
  say "/dev/fuse does not exist: this machine (or container) cannot mount FUSE filesystems"
  say "load the module (sudo modprobe fuse) or run the container with --device /dev/fuse --cap-add SYS_ADMIN"
  exit 1
fi

# 2. npm packages, when missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# 3. @cocalc/fuse-native 2.4 loses modification times in utimens (`touch -d`, `cp -p`, `tar -x`,
#    `rsync -a` would set wrong or no times). Patch its C source and rebuild the addon (see
#    scripts/patch-binding.mjs and native-notes/writes.md). It also crashes on an open file removed
#    with its folder (native-notes/open-unlinked.md). npm ci restores the original; we patch again.
if [ "$(node scripts/patch-binding.mjs)" = patched ]; then
  say "patched the FUSE binding (utimens, removed open files, fgetattr); rebuilding it"
  rm -rf node_modules/@cocalc/fuse-native/build
fi

# 4. The native binding must have been compiled against libfuse (it is skipped silently when
#    npm ran before libfuse-dev was there).
binding=node_modules/@cocalc/fuse-native/build/Release/fuse.node
if [ ! -f "$binding" ]; then
  say "building the FUSE binding"
  npm rebuild @cocalc/fuse-native
fi
if [ ! -f "$binding" ]; then
  say "the FUSE binding did not build ($binding is missing): see the npm output above"
  exit 1
fi

# 5. TypeScript → dist/
if [ ! -f dist/.built ] || [ -n "$(find src test scripts tsconfig.json package.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
  say "building"
  rm -rf dist
  npx tsc -p tsconfig.json
  touch dist/.built
fi
