/** `ferry reprocess`: processed file versions loaded again at the next run. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { findProcessedFiles, reprocessFiles, resolveFileRefs } from '../../ledger/index.ts';
import { assertPipeline, globalFlags, sinceOption, withRuntime } from '../context.ts';
import { FILE_REF_HELP } from '../file-ref-help.ts';
import { printJson, printLine } from '../output.ts';
import { pipelinesThatAddRows } from '../reprocess-policy.ts';

export function registerReprocess(program: Command): void {
  program
    .command('reprocess')
    .description('load processed file versions again (after fixing a transform, say)')
    .argument('[files...]', `file version ids or keys (a key: its processed versions); ${FILE_REF_HELP}`)
    .option('-p, --pipeline <name>', 'every processed version of this pipeline (or only of it)')
    .option('--since <duration>', 'only versions processed within this time (e.g. 1d)')
    .option('--yes', 'also for pipelines that append (their rows are then loaded again)')
    .option('--json', 'print JSON')
    .action(async (files: string[], options: { pipeline?: string; since?: string; yes?: boolean; json?: boolean }) => {
      if (files.length === 0 && options.pipeline === undefined) throw new FerryError('CONFIG_INVALID', 'reprocess: name file ids or keys, or a --pipeline');
      const since = sinceOption(options.since);
      await withRuntime(globalFlags(program), async ({ config, pool }) => {
        await assertPipeline(config, options.pipeline, pool);
        // Every reference is resolved first: one that names nothing stops it all (a typo in a
        // list must not reload the rest without saying so).
        const refs = files.length === 0 ? null : await resolveFileRefs(pool, files, { pipeline: options.pipeline });
        if (refs !== null && refs.unknown.length > 0) {
          process.exitCode = 1;
          printLine(
            `ferry: not found in the ledger${options.pipeline === undefined ? '' : ` (pipeline ${options.pipeline})`}: ${refs.unknown.join(', ')} (give a file version id or a key, as ferry files shows them); nothing was reprocessed`,
            process.stderr,
          );
          return;
        }
        const found = await findProcessedFiles(pool, { ids: refs?.ids ?? null, pipeline: options.pipeline, since });
        if (found.length === 0) {
          process.exitCode = 1;
          process.stderr.write('ferry: no processed file version matches (only processed versions can be reprocessed; see ferry files)\n');
          return;
        }
        const adding = pipelinesThatAddRows(config.pipelines, found);
        if (adding.length > 0 && !options.yes) {
          process.exitCode = 1;
          process.stderr.write(
            `ferry: ${adding.join(', ')} ${adding.length === 1 ? 'appends' : 'append'} its rows: reprocessing ${found.length} file version(s) would load their rows again. Add --yes to do it, or use mode: 'replace' or 'merge'\n`,
          );
          return;
        }
        const requeued = await reprocessFiles(
          pool,
          found.map((file) => file.id),
        );
        if (options.json) return printJson({ reprocess: requeued });
        for (const file of requeued) printLine(`reprocess ${file.id} ${file.pipeline} ${file.key}`);
        process.stdout.write(`${requeued.length} queued; they are loaded at the next run (or now: ferry run --once)\n`);
      });
    });
}
