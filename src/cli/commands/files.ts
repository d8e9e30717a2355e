/** `ferry files`: file versions in the ledger; or, with --outside-window, files the time windows leave out. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { FILE_STATUSES, type FileStatus, listFiles } from '../../ledger/index.ts';
import { assertPipeline, globalFlags, loadCliConfig, positiveInteger, sinceOption, withRuntime } from '../context.ts';
import { printJson, printTable } from '../output.ts';

export function registerFiles(program: Command): void {
  program
    .command('files')
    .description('file versions in the ledger, newest first')
    .addOption(new Option('-s, --status <status>', 'only this status').choices(FILE_STATUSES))
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--since <duration>', 'only those found or finished within this time (e.g. 1d, 6h)')
    .option('--outside-window', 'instead: files in the storage that the pipelines leave out for their time window (not in the ledger)')
    .option('-n, --limit <n>', 'at most this many', positiveInteger, 50)
    .option('--json', 'print JSON')
    .option('--wide', 'print every value whole (a table otherwise fits the terminal)')
    .action(
      async (options: { status?: FileStatus; pipeline?: string; since?: string; outsideWindow?: boolean; limit: number; json?: boolean; wide?: boolean }) => {
        const since = sinceOption(options.since);
        const limit = options.limit;
        if (options.outsideWindow) {
          // The storage only: no database is opened.
          const config = await loadCliConfig(globalFlags(program));
          await assertPipeline(config, options.pipeline);
          const { openObjectStore } = await import('../../storage/index.ts');
          const { filesOutsideWindow } = await import('../../discover/index.ts');
          const found = await filesOutsideWindow(openObjectStore(config.storage, config.stores), config.pipelines, { pipeline: options.pipeline, limit });
          if (options.json) return printJson({ files: found });
          printTable(found, ['pipeline', 'key', 'last_modified', 'window'], options);
          return;
        }
        await withRuntime(globalFlags(program), async ({ config, pool }) => {
          await assertPipeline(config, options.pipeline, pool);
          const files = await listFiles(pool, { status: options.status, pipeline: options.pipeline, since, limit });
          if (options.json) return printJson({ files });
          // A narrow terminal leaves out the counts first, then the time: the key, status and error stay.
          printTable(
            files.map((file) => ({ ...file, rejected: file.rows_rejected })),
            ['id', 'pipeline', 'key', 'status', 'rows', 'rejected', 'warnings', 'attempts', 'finished_at', 'error_code', 'error'],
            { ...options, optional: ['warnings', 'attempts', 'rejected', 'finished_at'] },
          );
        });
      },
    );
}
