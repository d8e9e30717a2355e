/**
 * Defaults for Polars' own S3 client, set unless the environment already sets them.
 *
 * Polars retries a failing cloud request internally (by default up to 10 times over up to
 * several minutes) before ferry sees the error. While it does, the file's lease is renewed and
 * nothing in the ledger says the store is failing. ferry retries files itself, with backoff
 * recorded in the ledger, so Polars is told to give up sooner: 2 retries within 30 s.
 */
const DEFAULTS: Readonly<Record<string, string>> = {
  POLARS_CLOUD_MAX_RETRIES: '2',
  POLARS_CLOUD_RETRY_TIMEOUT_MS: '30000',
};

export function applyPolarsDefaults(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(DEFAULTS)) env[name] ??= value;
}
