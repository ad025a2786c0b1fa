#!/usr/bin/env node
// The `slipway` command. It is a file of its own rather than dist/main.js because npm links a
// package's commands when it installs, before a fresh clone has built dist/, and leaves out a
// command whose file does not exist yet: `npx slipway` would then look for a package of that name.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('Slipway is not built yet: run `npm run build` in the repository first.');
  process.exit(1);
}
const { runAsCommand } = await import(main.href);
runAsCommand(process.argv);
