/** `ferry check`: the config, the database, the storage, and each pipeline on one of its files. */
import type { Command } from 'commander';
import { checkQueue, configuredQueues } from '../../discover/index.ts';
import { errorMessage } from '../../errors/index.ts';
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
          // Each queue of events answers, and the credentials may read it.
          const queues = await Promise.all(
            configuredQueues(runtime.config).map(async (queue) => {
              try {
                const { waiting } = await checkQueue(queue);
                return { queue: queue.queueUrl, status: 'ok', detail: `${waiting} message(s) waiting` };
              } catch (error) {
                return { queue: queue.queueUrl, status: 'failed', detail: errorMessage(error) };
              }
            }),
          );
          if (options.json) printJson({ database: runtime.databaseDescription, queues, pipelines: results });
          else {
            printLine(`config: ok (${runtime.config.configFile ?? 'no config file: defaults'})`);
            printLine(`database: ok (${runtime.databaseDescription})`);
            printLine('storage: ok');
            for (const queue of queues) printLine(`queue ${queue.queue}: ${queue.status === 'ok' ? 'ok' : 'FAILED'} (${queue.detail})`);
            process.stdout.write('\n');
            printTable(results, ['pipeline', 'status', 'file', 'detail'], options);
          }
          if (results.some((result) => result.status === 'failed') || queues.some((queue) => queue.status === 'failed')) process.exitCode = 1;
        },
        // The storage is checked (that is the point), and the readers start while the database
        // does. The migrations are applied, as by every command: on a new database the check
        // then finds ferry's tables, as the service will.
        { checkStorage: true, warmReaders: true },
      ),
    );
}
