#!/usr/bin/env node
// What bin/mount.drivemount runs: mount(8)'s helper calling convention (see src/cli/mount-helper.ts).
import { mountHelperMain } from '../dist/src/cli/mount-helper-main.js';

mountHelperMain(process.argv.slice(2));
