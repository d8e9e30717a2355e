/** `ferry preview <file>`: one file through the pipeline's read, transform and checks; loads nothing. */
import type { Command } from 'commander';
import { globalFlags, loadCliConfig, positiveInteger } from '../context.ts';

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description("read one file, apply the pipeline's transform, print schema, first rows and table; loads nothing")
    .argument('<file>', 'a key in the storage, or a local file')
    .option('-p, --pipeline <name>', 'the pipeline whose transform and sink to use (default: the first with a table)')
    .option('-n, --rows <n>', 'rows to show', positiveInteger, 10)
    .option('--checks', "run the pipeline's checks on the file and show each rule's result")
    .option('--json', 'print JSON')
    .action(async (file: string, options: { pipeline?: string; rows: number; json?: boolean; checks?: boolean }) => {
      const config = await loadCliConfig(globalFlags(program));
      const { preview } = await import('../preview.ts');
      await preview(config, file, { pipeline: options.pipeline, rows: options.rows, json: options.json, checks: options.checks });
    });
}
