// Compiles src/ to dist/ (one .js and one .d.ts per source file, no bundling: the native
// addons stay external) for the published package; the repository itself runs src/ directly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  // The package's exports do not list its bin: found beside its package.json.
  tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  if (!fs.existsSync(tsc)) throw new Error('no tsc');
} catch {
  // Installed as a dependency from a git URL without its dev dependencies: nothing to build with.
  console.error('ferry build: typescript is not installed; skipped (run npm install in the repository)');
  process.exit(0);
}
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
process.exit(result.status ?? 1);
