/** `ferry retry`: quarantined file versions back in the queue. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { requeueFiles, resolveFileRefs } from '../../ledger/index.ts';
import { assertPipeline, globalFlags, withRuntime } from '../context.ts';
import { FILE_REF_HELP } from '../file-ref-help.ts';
import { printJson, printLine } from '../output.ts';

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('requeue quarantined file versions (by id or key), to be processed at the next run')
    .argument('[files...]', `file version ids or keys (a key: its quarantined versions); ${FILE_REF_HELP}`)
    .option('--all-quarantined', 'every quarantined file version')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--json', 'print JSON')
    .action(async (files: string[], options: { allQuarantined?: boolean; pipeline?: string; json?: boolean }) => {
      if (files.length === 0 && !options.allQuarantined) throw new FerryError('CONFIG_INVALID', 'retry: name file ids or keys, or use --all-quarantined');
      await withRuntime(globalFlags(program), async ({ config, pool }) => {
        await assertPipeline(config, options.pipeline, pool);
        // Every reference is resolved before anything is requeued: an ambiguous one changes nothing.
        const { ids, unknown } = await resolveFileRefs(pool, files, { pipeline: options.pipeline });
        const requeued = await requeueFiles(pool, { ids, allQuarantined: options.allQuarantined, pipeline: options.pipeline });
        if (unknown.length > 0) {
          process.exitCode = 1;
          printLine(`ferry: not found in the ledger: ${unknown.join(', ')} (give a file version id or a key, as ferry files shows them)`, process.stderr);
        }
        if (options.json) return printJson({ requeued });
        for (const file of requeued) printLine(`requeued ${file.id} ${file.pipeline} ${file.key}`);
        if (requeued.length > 0) process.stdout.write(`${requeued.length} requeued; they are processed at the next run (or now: ferry run --once)\n`);
        else if (unknown.length < files.length || options.allQuarantined)
          process.stdout.write('nothing to requeue (only quarantined or waiting file versions can be retried)\n');
        if (requeued.length === 0) process.exitCode = 1;
      });
    });
}
