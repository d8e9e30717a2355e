/** `ferry run --once`: the pipelines now, with a summary. */
import type { Command } from 'commander';
import { cliLogger, globalFlags, loadCliConfig } from '../context.ts';
import { ProgressLine } from '../progress.ts';
import { exitCodeFor, HARD_EXIT_MS, onStopSignal, stopState } from '../signals.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipelines now and print a summary')
    .option('--once', 'run once and exit (the only mode, and what it does without the flag)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--json', 'print the summary as JSON')
    .option('-v, --verbose', 'log each step to stderr')
    .action(async (options: { pipeline?: string; json?: boolean; verbose?: boolean }) => {
      const flags = globalFlags(program);
      const config = await loadCliConfig(flags);
      // In a terminal, a live progress line; what else goes to the terminal while it is shown
      // (log lines, the stop notice) is written through it, so that they never share a line.
      const progress = !options.json && process.stdout.isTTY ? new ProgressLine() : null;
      const stderr = progress?.writer(process.stderr) ?? ((text: string) => void process.stderr.write(text));
      // Without -v only errors are logged: the summary already lists each file that failed.
      const log = cliLogger(flags, { destination: 2, level: options.verbose ? 'info' : 'error', ...(progress ? { write: stderr } : {}) });
      // Ctrl-C (or SIGTERM, SIGHUP) stops the run in order: loads in hand roll back and their
      // leases are given back before exit, so a rerun claims those files at once; it exits with
      // 128 + the signal's number. A second signal exits now.
      const stop = new AbortController();
      onStopSignal((signal, code) => {
        stderr(`ferry: ${signal}: stopping (again to exit at once)\n`);
        stop.abort();
        setTimeout(() => process.exit(code), HARD_EXIT_MS).unref();
      });
      const { runOnce } = await import('../run-once.ts');
      const code = await runOnce(config, log, { ...options, signal: stop.signal, progress });
      process.exitCode = stopState.signal !== null ? exitCodeFor(stopState.signal) : code;
    });
}
