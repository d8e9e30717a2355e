/** `ferry check`: the config, the database, the storage, and each pipeline on one of its files. */
import type { Command } from 'commander';
import { globalFlags, withRuntime } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check the config, the database, the storage, and each pipeline on one of its files (read, transform, checks; nothing loaded)')
    .option('--json', 'print JSON')
    .option('--wide', 'print every value whole (a table otherwise fits the terminal)')
    .action((options: { json?: boolean; wide?: boolean }) =>
      withRuntime(
        globalFlags(program),
        async (runtime) => {
          const { checkPipelines } = await import('../../worker/index.ts');
          const results = await checkPipelines(runtime);
          if (options.json) printJson({ database: runtime.databaseDescription, pipelines: results });
          else {
            printLine(`config: ok (${runtime.config.configFile ?? 'no config file: defaults'})`);
            printLine(`database: ok (${runtime.databaseDescription})`);
            printLine('storage: ok');
            process.stdout.write('\n');
            printTable(results, ['pipeline', 'status', 'file', 'detail'], options);
          }
          if (results.some((result) => result.status === 'failed')) process.exitCode = 1;
        },
        // The storage is checked (that is the point), and the readers start while the database
        // does. The migrations are applied, as by every command: on a new database the check
        // then finds ferry's tables, as the service will.
        { checkStorage: true, warmReaders: true },
      ),
    );
}
