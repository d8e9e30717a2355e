/** `ferry checks <id or key>`: a file version's check results, one line per rule. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { getFile, listCheckResults, resolveFileRef } from '../../ledger/index.ts';
import { globalFlags, withRuntime } from '../context.ts';
import { FILE_REF_HELP } from '../file-ref-help.ts';
import { printJson, printLine, printTable } from '../output.ts';

export function registerChecks(program: Command): void {
  program
    .command('checks')
    .description("a file version's check results: one line per rule, with failing rows and samples")
    .argument('<file>', `a file version id, or a key (its newest version); ${FILE_REF_HELP}`)
    .option('-p, --pipeline <name>', 'the pipeline, when a key is in several')
    .option('--json', 'print JSON')
    .action((file: string, options: { pipeline?: string; json?: boolean }) =>
      withRuntime(globalFlags(program), async ({ pool }) => {
        const match = await resolveFileRef(pool, file, { pipeline: options.pipeline });
        // The newest version the reference names.
        const version = match === null ? null : await getFile(pool, match.ids[0] as number);
        if (version === null) throw new FerryError('CONFIG_INVALID', `checks: no file version ${file} in the ledger`);
        const checks = await listCheckResults(pool, version.id);
        if (options.json) return printJson({ file: version, checks });
        printLine(
          `${version.pipeline} ${version.key} (version ${version.id}): ${version.status}, ${version.rows ?? 0} rows loaded, ${version.rows_rejected} rejected, ${version.warnings} rules warned`,
        );
        if (checks.length === 0) {
          process.stdout.write('no check results (the pipeline has no checks, or the file was not checked)\n');
          return;
        }
        printTable(
          checks.map((check) => ({ ...check, samples: JSON.stringify(check.samples).slice(0, 120) })),
          ['rule_id', 'action', 'outcome', 'failing', 'total', 'detail', 'samples'],
        );
      }),
    );
}
