/** What the worker's steps share about a pipeline's files, and what can become of a file. */

import type { Logger } from 'pino';
import type { OutboxSettings } from '../alerts/index.ts';
import type { ResolvedConfig, ResolvedPipeline } from '../config/index.ts';
import type { Pool } from '../postgres/index.ts';
import type { ReaderPool } from '../readers/index.ts';
import type { ObjectStore } from '../storage/index.ts';

export type FileOutcome =
  | { readonly kind: 'processed'; readonly key: string; readonly rows: number; readonly rejected: number; readonly warnings: number }
  | { readonly kind: 'quarantined' | 'retrying'; readonly key: string; readonly step: string; readonly code: string; readonly error: string }
  | { readonly kind: 'superseded'; readonly key: string; readonly reason: string }
  | { readonly kind: 'lease-lost'; readonly key: string }
  | { readonly kind: 'interrupted'; readonly key: string };

export interface FileContext {
  readonly pool: Pool;
  readonly store: ObjectStore;
  readonly readers: ReaderPool;
  readonly pipeline: ResolvedPipeline;
  readonly retry: ResolvedConfig['retry'];
  readonly limits: ResolvedConfig['limits'];
  readonly log: Logger;
  /** Told a file's rows copied so far, for progress displays. */
  readonly onRows?: (key: string, rows: number) => void;
  /** Where alerts about files go (written in the transaction that records the outcome). */
  readonly alerts?: OutboxSettings;
  /** Told that alerts were written. */
  readonly onAlerts?: () => void;
  /** Aborted when ferry is told to stop: a failure after that is the stop's (rolled back, released), not the file's. */
  readonly signal?: AbortSignal;
}
