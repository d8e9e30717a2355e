/** `ferry health`: a running service's /health, for container health checks. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { serviceUrl } from '../../service-url.ts';
import { parseDuration } from '../../units/index.ts';
import { globalFlags, loadCliConfig } from '../context.ts';
import { printLine } from '../output.ts';

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description("ask a running ferry's /health (exit 0 when healthy, 1 when not): for container health checks")
    .option('--url <url>', 'the service (default: http://127.0.0.1:<port> from the config, PORT or 8000)')
    .option('--timeout <duration>', 'give up after', '5s')
    .action(async (options: { url?: string; timeout: string }) => {
      const timeoutMs = parseDuration(options.timeout);
      if (timeoutMs === null) throw new FerryError('CONFIG_INVALID', `--timeout: "${options.timeout}" is not a duration (use e.g. 5s)`);
      const base = options.url ?? serviceUrl((await loadCliConfig(globalFlags(program))).http);
      const url = new URL('/health', base);
      try {
        // With the read token (when this environment has it), /health also says why a part failed.
        const token = process.env.FERRY_READ_TOKEN?.trim();
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: token ? { authorization: `Bearer ${token}` } : {} });
        const body = await response.text();
        // Ferry's answer is JSON (no raw control characters); another server's is shown escaped.
        printLine(body);
        process.exitCode = response.status === 200 ? 0 : 1;
      } catch (error) {
        printLine(`ferry: ${url.href} did not answer: ${(error as Error).message}`, process.stderr);
        process.exitCode = 1;
      }
    });
}
