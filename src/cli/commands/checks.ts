/** `ferry checks <id or key>`: a file version's check results, one line per rule. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { getFile, listCheckResults, resolveFileRef } from '../../ledger/index.ts';
import { assertPipeline, globalFlags, withRuntime } from '../context.ts';
import { FILE_REF_HELP } from '../file-ref-help.ts';
import { formatCount, printJson, printLine, printTable } from '../output.ts';

export function registerChecks(program: Command): void {
  program
    .command('checks')
    .description("a file version's check results: one line per rule, with failing rows and samples")
    .argument('<file>', `a file version id, or a key (its newest version); ${FILE_REF_HELP}`)
    .option('-p, --pipeline <name>', 'the pipeline, when a key is in several')
    .option('--json', 'print JSON')
    .option('--wide', 'print every value whole (a table otherwise fits the terminal)')
    .action((file: string, options: { pipeline?: string; json?: boolean; wide?: boolean }) =>
      withRuntime(globalFlags(program), async ({ config, pool }) => {
        await assertPipeline(config, options.pipeline, pool);
        const match = await resolveFileRef(pool, file, { pipeline: options.pipeline });
        // The newest version the reference names.
        const version = match === null ? null : await getFile(pool, match.ids[0] as number);
        if (version === null)
          throw new FerryError('FILE_NOT_FOUND', `checks: not found in the ledger: ${file} (give a file version id or a key, as ferry files shows them)`);
        const checks = await listCheckResults(pool, version.id);
        if (options.json) return printJson({ file: version, checks });
        printLine(
          `${version.pipeline} ${version.key} (version ${version.id}): ${version.status}, ${formatCount(version.rows ?? 0)} rows loaded, ${formatCount(version.rows_rejected)} rejected, ${version.warnings} rules warned`,
        );
        if (checks.length === 0) {
          process.stdout.write('no check results (the pipeline has no checks, or the file was not checked)\n');
          return;
        }
        printTable(
          checks.map((check) => ({ ...check, samples: JSON.stringify(check.samples).slice(0, 120) })),
          ['rule_id', 'action', 'outcome', 'failing', 'total', 'detail', 'samples'],
          { ...options, optional: ['samples', 'action'] },
        );
      }),
    );
}
