/** What the rules found, as the reader processes report it to the service (see frame/check-frame.ts). */

/** At most this many sample values are kept per rule. */
export const MAX_SAMPLES = 20;

/** What one rule found in a file (or a part of it). */
export interface RuleTally {
  readonly id: string;
  failing: number;
  samples: unknown[];
  /** A file rule's own note, e.g. the newest value a freshness rule saw. */
  detail: string | null;
}

export interface PartResult {
  readonly rows: number;
  readonly rejected: number;
  readonly tallies: readonly RuleTally[];
}
