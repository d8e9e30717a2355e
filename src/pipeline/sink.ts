/**
 * A sink is what a pipeline does with one file version: `read` it from the store (outside any
 * transaction), then `load` the result inside the transaction that also records the file in
 * the ledger, so the two commit together or not at all.
 */

import type pl from 'nodejs-polars';
import type { ResolvedConfig } from '../config/index.ts';
import type { FileVersionRecord, RunRecord } from '../ledger/index.ts';
import type { PoolClient } from '../postgres/index.ts';
import type { ObjectStore } from '../storage/index.ts';

export interface ReadResult {
  /** Rows the file holds (or produced after its transform). */
  readonly rows: number;
  /** The rows to load, for sinks that load them. */
  readonly frame?: pl.DataFrame;
}

export interface Sink {
  readonly name: string;
  read(store: ObjectStore, file: FileVersionRecord, limits: ResolvedConfig['limits']): Promise<ReadResult>;
  load(client: PoolClient, file: FileVersionRecord, read: ReadResult, run: RunRecord): Promise<void>;
}
