// Run before `npm install`, `npm start` and `npm test`: ferry runs its TypeScript sources
// directly, which needs Node's type stripping (on by default from 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`\nferry needs Node.js >= 22.18; this is ${process.version}. Install Node 24 LTS and try again.\n`);
  process.exit(1);
}
