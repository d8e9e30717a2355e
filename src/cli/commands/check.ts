/** `ferry check`: the config, the database, the storage, and each pipeline on one of its files. */
import type { Command } from 'commander';
import { globalFlags, withRuntime } from '../context.ts';
import { printJson, printLine, printTable } from '../output.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check the config, the database, the storage, and each pipeline on one of its files (read, transform, checks; nothing loaded)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
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
            printTable(results, ['pipeline', 'status', 'file', 'detail']);
          }
          if (results.some((result) => result.status === 'failed')) process.exitCode = 1;
        },
        // The storage is checked (that is the point), and the readers start while the database does.
        { migrate: false, checkStorage: true, warmReaders: true },
      ),
    );
}
