/** `ferry db url` and `ferry db psql`: the database ferry uses. */
import type { Command } from 'commander';
import { embeddedDatabaseInfo, redactConnectionString } from '../../postgres/index.ts';
import { globalFlags, loadCliConfig, withRuntime } from '../context.ts';
import { printLine } from '../output.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('the database ferry uses (DATABASE_URL, else the embedded one)');

  db.command('url')
    .description('print the connection string (the password hidden unless --show-password)')
    .option('--show-password', 'print the password too')
    .action(async (options: { showPassword?: boolean }) => {
      const config = await loadCliConfig(globalFlags(program));
      const show = (url: string) => (options.showPassword ? url : redactConnectionString(url));
      if (config.databaseUrl !== null) {
        process.stdout.write(`${show(config.databaseUrl)}\n`);
        return;
      }
      const embedded = embeddedDatabaseInfo(config.dataDir);
      if (embedded === null) {
        // Not a usage error: there is nothing to show yet (exit 1).
        printLine(`ferry: no embedded database in ${config.dataDir} yet: any ferry command (ferry migrate, ferry start) creates it`, process.stderr);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${show(embedded.connectionString)}\n`);
      if (!embedded.running)
        process.stderr.write('(not running now: it runs while ferry start or a ferry command does; ferry db psql starts it for the session)\n');
    });

  db.command('psql')
    .description('open psql on the database (the embedded one stays up until psql exits)')
    .action(() =>
      withRuntime(globalFlags(program), async (runtime) => {
        const { spawn } = await import('node:child_process');
        // Ctrl-C in psql cancels its query: it must not end ferry (and the embedded server with it).
        process.on('SIGINT', () => {});
        const child = spawn('psql', [runtime.connectionString], { stdio: 'inherit' });
        const code = await new Promise<number>((resolve, reject) => {
          child.on('error', (error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') return reject(error);
            printLine('ferry: psql is not on the PATH (Debian: apt-get install postgresql-client)', process.stderr);
            resolve(1);
          });
          child.on('exit', (exitCode) => resolve(exitCode ?? 1));
        });
        process.exitCode = code;
      }),
    );
}
