/** `ferry alerts test`: a test event to every alert destination. */
import type { Command } from 'commander';
import { FerryError } from '../../errors/index.ts';
import { globalFlags, loadCliConfig } from '../context.ts';
import { printLine } from '../output.ts';

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('alert destinations (alerts in the config)');

  alerts
    .command('test')
    .description('send a test event to every alert destination; exit 1 if one does not take it')
    .action(async () => {
      const config = await loadCliConfig(globalFlags(program));
      const { alertPayload, post } = await import('../../alerts/index.ts');
      for (const line of config.alertsOff) printLine(line, process.stderr);
      if (config.alerts.length === 0)
        throw new FerryError('CONFIG_INVALID', 'no alert destination is configured (alerts in ferry.config.ts, with their URLs set)');
      const payload = alertPayload(
        { event: 'test', pipeline: null, dedupKey: `test:${Date.now()}`, summary: 'a test alert from ferry alerts test: this destination works' },
        config.publicUrl,
      );
      let failed = 0;
      for (const destination of config.alerts) {
        const failure = await post(destination, payload);
        if (failure !== null) failed++;
        printLine(`${failure === null ? 'delivered' : 'FAILED   '} ${destination.shown} (${destination.format})${failure === null ? '' : `: ${failure}`}`);
      }
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
