/** `ferry run --once`: the pipelines now, with a summary. */
import type { Command } from 'commander';
import { cliLogger, globalFlags, loadCliConfig } from '../context.ts';
import { exitCodeFor, HARD_EXIT_MS, onStopSignal, stopState } from '../signals.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipelines now and print a summary')
    .option('--once', 'run once and exit (the only mode)', true)
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--json', 'print the summary as JSON')
    .option('-v, --verbose', 'log each step to stderr')
    .action(async (options: { pipeline?: string; json?: boolean; verbose?: boolean }) => {
      const flags = globalFlags(program);
      const config = await loadCliConfig(flags);
      // Without -v only errors are logged: the summary already lists each file that failed.
      const log = cliLogger(flags, { destination: 2, level: options.verbose ? 'info' : 'error' });
      // Ctrl-C (or SIGTERM, SIGHUP) stops the run in order: loads in hand roll back and their
      // leases are given back before exit, so a rerun claims those files at once; it exits with
      // 128 + the signal's number. A second signal exits now.
      const stop = new AbortController();
      onStopSignal((signal, code) => {
        process.stderr.write(`ferry: ${signal}: stopping (again to exit at once)\n`);
        stop.abort();
        setTimeout(() => process.exit(code), HARD_EXIT_MS).unref();
      });
      const { runOnce } = await import('../run-once.ts');
      const code = await runOnce(config, log, { ...options, signal: stop.signal });
      process.exitCode = stopState.signal !== null ? exitCodeFor(stopState.signal) : code;
    });
}
