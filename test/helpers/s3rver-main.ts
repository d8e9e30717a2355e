// Child process started by s3-server.ts: s3rver on a free port, announcing it on stdout.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
// With S3RVER_ANY_SECRET=1 any secret key is accepted, so that tests can use secrets of their own.
const server = new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: true,
  directory,
  configureBuckets: [{ name: bucket as string, configs: [] }],
  allowMismatchedSignatures: process.env.S3RVER_ANY_SECRET === '1',
});
const address = await server.run();
process.stdout.write(`listening on ${address.port}\n`);
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
