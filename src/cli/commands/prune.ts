/** `ferry prune`: delete the ledger rows retention lets go. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { pruneLedger } from '../../ledger/index.ts';
import { globalFlags, withRuntime } from '../context.ts';
import { printJson } from '../output.ts';

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('delete the ledger rows that can no longer matter (see retention in the config); the service does this every hour')
    .option('--dry-run', 'count them, delete nothing')
    .option('--json', 'print JSON')
    .action((options: { dryRun?: boolean; json?: boolean }) =>
      withRuntime(
        globalFlags(program),
        async ({ config, pool }) => {
          const counts = await pruneLedger(pool, config.pipelines, config.retentionMs as number, { dryRun: options.dryRun === true });
          if (options.json) return printJson({ dryRun: options.dryRun === true, ...counts });
          const what = `${counts.superseded} superseded and ${counts.processed} processed file versions, ${counts.runs} runs, ${counts.alerts} alerts`;
          process.stdout.write(options.dryRun ? `would delete ${what}\n` : `deleted ${what}\n`);
        },
        {
          check: (config) => {
            if (config.retentionMs === null) throw new FerryError('CONFIG_INVALID', 'prune: retention is null in the config, so every ledger row is kept');
          },
        },
      ),
    );
}
