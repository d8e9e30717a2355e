/**
 * A sink is what a pipeline does with one file version. `prepare` opens the file and plans the
 * work outside any transaction (a file that cannot be read or transformed fails here, before a
 * connection is held); the prepared load then runs inside the transaction that also records
 * the file in the ledger, so the rows and the record commit together or not at all. For table
 * sinks the file's rows stream from storage through Polars into COPY during that load.
 */

import type { ResolvedConfig } from '../config/index.ts';
import type { FileVersionRecord, RunRecord } from '../ledger/index.ts';
import type { PoolClient } from '../postgres/index.ts';
import type { ObjectStore } from '../storage/index.ts';

export interface PreparedLoad {
  /** Loads the file's rows on `client` (inside the ledger's transaction); returns the rows loaded. */
  load(client: PoolClient, run: RunRecord): Promise<number>;
  /** Releases what `prepare` opened (temp copies); called whatever happened. */
  dispose(): Promise<void>;
}

export interface Sink {
  readonly name: string;
  prepare(store: ObjectStore, file: FileVersionRecord, limits: ResolvedConfig['limits']): Promise<PreparedLoad>;
}
