/**
 * The `ferry` command. Thin: the program's global options and its commands, one file each in
 * commands/; errors print one line naming what failed, with secrets removed, and exit non-zero
 * (2 for a usage or config error, 1 otherwise).
 */
import { Command, CommanderError, Option } from 'commander';
import { coerceError } from '../errors/index.ts';
import { redactSecrets } from '../postgres/index.ts';
import { discardPrestartedReaders } from '../readers/index.ts';
import { VERSION } from '../version.ts';
import { registerAlerts } from './commands/alerts.ts';
import { registerCheck } from './commands/check.ts';
import { registerChecks } from './commands/checks.ts';
import { registerDb } from './commands/db.ts';
import { registerFiles } from './commands/files.ts';
import { registerHealth } from './commands/health.ts';
import { registerInit } from './commands/init.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPreview } from './commands/preview.ts';
import { registerPrune } from './commands/prune.ts';
import { registerReprocess } from './commands/reprocess.ts';
import { registerRetry } from './commands/retry.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { printBlock, printLine } from './output.ts';
import { stopState } from './signals.ts';

const program = new Command('ferry')
  .description('Scheduled, exactly-once ETL from object storage into PostgreSQL')
  .version(VERSION)
  .addOption(new Option('-c, --config <file>', 'config file (default: ./ferry.config.ts if present)'))
  .addOption(new Option('--storage <location>', 'storage: a folder, file:///dir, s3://bucket/prefix or azblob://container/prefix'))
  .addOption(new Option('--log-format <format>', 'log lines: pretty (default in a terminal) or json (default otherwise)').choices(['pretty', 'json']))
  .showHelpAfterError('(add --help for usage)')
  // A usage error (an unknown option, a bad value, a missing argument) exits 2, as a bad config
  // does: commander has printed it; the catch below sets the code instead of commander's 1.
  .exitOverride();

// In the order `ferry --help` lists them.
for (const register of [
  registerStart,
  registerRun,
  registerStatus,
  registerFiles,
  registerRuns,
  registerChecks,
  registerPreview,
  registerRetry,
  registerReprocess,
  registerCheck,
  registerDb,
  registerPrune,
  registerMigrate,
  registerInit,
  registerAlerts,
  registerHealth,
])
  register(program);

// Output piped into `head` and the like: when the reader goes away, stop quietly. After a stop
// signal (SIGHUP: the terminal closed) output may fail too; the stop goes on without it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (stopState.signal !== null && (error.code === 'EPIPE' || error.code === 'EIO')) return;
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (thrown) {
  if (thrown instanceof CommanderError) process.exitCode = thrown.exitCode === 0 ? 0 : 2;
  else printError(thrown);
  await discardPrestartedReaders();
}

/** One line (a config error's code frame: a few) naming what failed, secrets removed; exit 2 for a usage or config error, else 1. */
function printError(thrown: unknown): void {
  const error = coerceError(thrown);
  const secrets = [
    process.env.AWS_SECRET_ACCESS_KEY,
    process.env.AWS_SESSION_TOKEN,
    ...azureSecrets(process.env),
    process.env.FERRY_ADMIN_TOKEN,
    process.env.FERRY_READ_TOKEN,
    process.env.FERRY_METRICS_TOKEN,
    process.env.FERRY_EVENTS_TOKEN,
    passwordOf(process.env.DATABASE_URL),
  ];
  // A config error can show the config file's lines (a syntax error's code frame); any other
  // is one line, whatever file name or value it quotes.
  const print = error.code === 'CONFIG_INVALID' ? printBlock : printLine;
  print(`ferry: ${redactSecrets(error.message, secrets)}`, process.stderr);
  process.exitCode = error.code === 'CONFIG_INVALID' ? 2 : 1;
}

/**
 * Azure's account key and SAS token, as given and as parts of the connection string; a SAS
 * token's signature also alone (OpenDAL's error texts hold the rest of the token), and decoded.
 */
function azureSecrets(env: NodeJS.ProcessEnv): string[] {
  const connection = env.AZURE_STORAGE_CONNECTION_STRING ?? '';
  const part = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, 'i').exec(connection)?.[1];
  const tokens = [env.AZURE_STORAGE_SAS_TOKEN, part('SharedAccessSignature')].filter((token): token is string => Boolean(token));
  const signatures = tokens.map((token) => /(?:^|[?&])sig=([^&]+)/.exec(token)?.[1]).filter((sig): sig is string => Boolean(sig));
  const decoded = signatures.map((sig) => {
    try {
      return decodeURIComponent(sig);
    } catch {
      return sig;
    }
  });
  return [env.AZURE_STORAGE_ACCOUNT_KEY, part('AccountKey'), connection, ...tokens, ...signatures, ...decoded].filter((secret): secret is string =>
    Boolean(secret),
  );
}

function passwordOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
