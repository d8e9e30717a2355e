#!/usr/bin/env node
// Plain JavaScript, so that an old Node gets a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`ferry needs Node.js >= 22.18; this is ${process.version}. Node 24 LTS is recommended.`);
  process.exit(1);
}
// `ferry --version` needs nothing else.
if (process.argv.length === 3 && ['--version', '-V'].includes(process.argv[2])) {
  const { readFileSync } = await import('node:fs');
  console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  process.exit(0);
}
// Node's compile cache (in the OS temp folder, as Node places it) spares every later start the
// parsing of ferry's modules: about half of a command's start-up.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// The repository runs its TypeScript directly; the published package has only the compiled dist/.
const { existsSync } = await import('node:fs');
const dir = existsSync(new URL('../src/cli/main.ts', import.meta.url)) ? '../src/cli/' : '../dist/cli/';
const extension = dir === '../src/cli/' ? '.ts' : '.js';
// Before the command's own modules: the project's .env, and a reader process started early.
const { boot } = await import(new URL(`${dir}boot${extension}`, import.meta.url).href);
boot(process.argv);
await import(new URL(`${dir}main${extension}`, import.meta.url).href);
