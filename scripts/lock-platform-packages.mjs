// Some platform builds that nodejs-polars 0.26 and opendal 0.49.2 list as optional dependencies
// (darwin-arm64, linux-arm64, windows, android) are not on the registry at those versions. npm
// install then leaves them out of package-lock.json, and `npm ci` refuses the lockfile as out of
// sync. This adds an entry for each missing one, with the os/cpu/libc its name says, so that
// `npm ci` skips them on other platforms. Run it after any `npm install` that rewrites the lock.
import fs from 'node:fs';

const lockFile = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32', android: 'android' };
const CPU = ['x64', 'arm64', 'ia32', 'arm'];

let added = 0;
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] !== undefined) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((part) => part in OS);
    const cpu = parts.find((part) => CPU.includes(part));
    if (os === undefined || cpu === undefined) continue;
    const platform = { version, optional: true, os: [OS[os]], cpu: [cpu] };
    if (parts.includes('gnu')) platform.libc = ['glibc'];
    if (parts.includes('musl')) platform.libc = ['musl'];
    lock.packages[key] = platform;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries to package-lock.json`);
