/** `ferry migrate`: apply the migrations, and say which. */
import type { Command } from 'commander';
import { migrate } from '../../postgres/index.ts';
import { globalFlags, withRuntime } from '../context.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations')
    .action(() =>
      withRuntime(
        globalFlags(program),
        async ({ pool }) => {
          const client = await pool.connect();
          try {
            const { applied } = await migrate(client);
            process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`);
          } finally {
            client.release();
          }
        },
        // Not on opening: this command reports what it applies.
        { migrate: false },
      ),
    );
}
