/** `ferry health`: a running service's /health, for container health checks. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { parseDuration } from '../../units/index.ts';
import { globalFlags, loadCliConfig } from '../context.ts';
import { printLine } from '../output.ts';
import { askHealth, serviceUrls } from '../service-health.ts';

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description("ask a running ferry's /health (exit 0 when healthy, 1 when not): for container health checks")
    .option(
      '--url <url>',
      "the service (default: the address ferry start recorded in the project's .ferry/, else http://127.0.0.1:<port> from the config, PORT or 8000)",
    )
    .option('--timeout <duration>', 'give up after', '5s')
    .action(async (options: { url?: string; timeout: string }) => {
      const timeoutMs = parseDuration(options.timeout);
      if (timeoutMs === null) throw new FerryError('CONFIG_INVALID', `--timeout: "${options.timeout}" is not a duration (use e.g. 5s)`);
      if (options.url !== undefined && !URL.canParse(options.url))
        throw new FerryError('CONFIG_INVALID', `--url: "${options.url}" is not a URL (use e.g. http://127.0.0.1:8000)`);
      const bases = options.url !== undefined ? [options.url] : serviceUrls(await loadCliConfig(globalFlags(program)));
      // With the read token (when this environment has it), /health also says why a part failed.
      const token = process.env.FERRY_READ_TOKEN?.trim();
      let answer = await askHealth(bases[0] as string, { timeoutMs, token });
      for (const base of bases.slice(1)) {
        if (answer.kind === 'ferry') break;
        answer = await askHealth(base, { timeoutMs, token });
      }
      process.exitCode = answer.kind === 'ferry' && answer.healthy ? 0 : 1;
      if (answer.kind === 'ferry') printLine(JSON.stringify(answer.body));
      else if (answer.kind === 'other')
        printLine(
          `ferry: ${answer.url} is not a ferry service: it answered ${answer.status} with ${answer.contentType}, not ferry's health report`,
          process.stderr,
        );
      else printLine(`ferry: ${answer.url} did not answer: ${answer.error}`, process.stderr);
    });
}
