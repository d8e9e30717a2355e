#!/usr/bin/env node
// Plain JavaScript, so that an old Node gets a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`ferry needs Node.js >= 22.18 (it runs its TypeScript directly); this is ${process.version}. Node 24 LTS is recommended.`);
  process.exit(1);
}
// Node's compile cache (in the OS temp folder, as Node places it) spares every later start the
// parsing and type stripping of ferry's modules: about half of a command's start-up.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../src/cli/main.ts');
