/** `ferry init`: make a folder a ferry project. */
import path from 'node:path';
import type { Command } from 'commander';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('make this folder a ferry project: a config with one pipeline, a sample file it loads, .env.example, .gitignore entries, npm scripts')
    .argument('[dir]', 'the project folder', '.')
    .option('--force', 'overwrite files that exist')
    .action(async (dir: string, options: { force?: boolean }) => {
      const { initProject } = await import('../init.ts');
      const result = initProject(path.resolve(dir), { force: options.force });
      for (const { file, action } of result.files) process.stdout.write(`${action.padEnd(11)} ${file}\n`);
      const kept = result.files.filter((f) => f.action === 'kept' && f.file !== '.gitignore' && f.file !== 'package.json');
      if (kept.length > 0) process.stdout.write(`\n${kept.length} file(s) existed and were kept (--force overwrites them).\n`);
      process.stdout.write(
        '\nNext: npm run load            (ferry run --once: loads data/inbox/sample-orders.csv into the table "orders")\n      npm run ferry -- files   (any ferry command: here, what happened to each file)\n      npm start                (the service: every 5 minutes, HTTP on 127.0.0.1:8000)\n',
      );
    });
}
