/** `ferry start`: the service (scheduler and HTTP API) until a stop signal. */
import type { Command } from 'commander';
import { coerceError } from '../../errors/index.ts';
import type { Service } from '../../main.ts';
import { cliLogger, globalFlags, loadCliConfig } from '../context.ts';
import { HARD_EXIT_MS, onStopSignal } from '../signals.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: scheduler and HTTP API')
    .option('--host <host>', 'HTTP host (default 127.0.0.1)')
    .option('--port <port>', 'HTTP port (default 8000)')
    .action(async (options: { host?: string; port?: string }) => {
      const flags = { ...globalFlags(program), ...options };
      const config = await loadCliConfig(flags);
      const log = cliLogger(flags);
      // Signals are handled from before the start: one that comes while ferry is starting (or
      // right after it logged that it started) stops it in order instead of killing it. The
      // handlers go first, so that the embedded database's removal of signal handlers it did
      // not find before it was loaded leaves them in place.
      // It exits with 128 + the signal's number (130, 143, 129) once stopped; a second signal exits at once.
      let started: Promise<Service> | undefined;
      const starting = new AbortController();
      onStopSignal((signal, code) => {
        log.info({ signal }, 'signal received: stopping (in-flight files finish or roll back within 8 s; send it again to exit at once)');
        setTimeout(() => process.exit(code), HARD_EXIT_MS).unref();
        starting.abort();
        (started as Promise<Service>)
          .then((service) => service.stop())
          .then(
            () => process.exit(code),
            (error: unknown) => {
              // Stopped before it had started (waiting for the database, say): a stop all the same.
              if (coerceError(error).code === 'INTERRUPTED') process.exit(code);
              log.error({ err: error }, 'stop failed');
              process.exit(1);
            },
          );
      });
      // Each command loads only what it uses (the HTTP server, Polars' preview, …): less start-up
      // time and memory for the others.
      started = import('../../main.ts').then(({ startService }) => startService(config, log, { signal: starting.signal }));
      await started;
    });
}
