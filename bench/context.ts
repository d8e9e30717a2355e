/** What every bench part is given by bench/run.ts: where it runs, the database, and how to start clean. */
import type pg from 'pg';

export interface BenchContext {
  /** The repository (bin/ferry.js is run from here). */
  readonly root: string;
  /** Generated data, kept between runs. */
  readonly dataDir: string;
  readonly db: { readonly url: string; readonly where: string };
  readonly client: pg.Client;
  /** The project folder ferry runs in. */
  readonly cwd: string;
  readonly log: (message: string) => void;
  /** Drops a bench table and empties the ledger. */
  readonly resetLedger: (table: string) => Promise<void>;
}
