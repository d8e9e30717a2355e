/**
 * A file's rule results from its tallies: each rule passes, warns, rejects rows or quarantines
 * the file, by its action and thresholds. Pure: the same tallies give the same results.
 */
import { FerryError } from '../errors/index.ts';
import { exceeds, type ResolvedCheck } from './rules.ts';
import type { RuleTally } from './tallies.ts';

export const CHECK_OUTCOMES = ['passed', 'warned', 'rejected', 'quarantined'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** One row of the ledger's check results: a rule on a file version. */
export interface CheckResult {
  readonly id: string;
  readonly rule: string;
  readonly action: string;
  readonly outcome: CheckOutcome;
  readonly failing: number;
  readonly total: number;
  readonly samples: readonly unknown[];
  readonly detail: string | null;
}

export interface CheckVerdict {
  readonly results: readonly CheckResult[];
  /** The rules that quarantine the file (empty: it loads). */
  readonly quarantinedBy: readonly CheckResult[];
  readonly warnings: number;
}

/** Sums the tallies of the parts of one file, rule by rule (samples up to `maxSamples`). */
export function mergeTallies(parts: readonly (readonly RuleTally[])[], maxSamples = 20): RuleTally[] {
  const merged = new Map<string, RuleTally>();
  for (const tallies of parts) {
    for (const tally of tallies) {
      const into = merged.get(tally.id);
      if (into === undefined) merged.set(tally.id, { ...tally, samples: tally.samples.slice(0, maxSamples) });
      else {
        into.failing += tally.failing;
        into.samples = [...into.samples, ...tally.samples].slice(0, maxSamples);
        into.detail = tally.detail ?? into.detail;
      }
    }
  }
  return [...merged.values()];
}

export function evaluateChecks(checks: readonly ResolvedCheck[], tallies: readonly RuleTally[], rows: number): CheckVerdict {
  const byId = new Map(tallies.map((tally) => [tally.id, tally]));
  const results = checks.map((check): CheckResult => {
    const tally = byId.get(check.id) ?? { id: check.id, failing: 0, samples: [], detail: null };
    const total =
      check.rule === 'rowCount' || check.rule === 'freshness'
        ? 1
        : check.rule === 'columns'
          ? Math.max(1, check.required.length + Object.keys(check.types).length)
          : rows;
    let outcome: CheckOutcome = 'passed';
    if (check.errorIf !== null && exceeds(check.errorIf, tally.failing, total)) outcome = 'quarantined';
    else if (check.action === 'reject' && tally.failing > 0) outcome = 'rejected';
    else if (tally.failing > 0 && exceeds(check.warnIf, tally.failing, total)) outcome = 'warned';
    return { id: check.id, rule: check.rule, action: check.action, outcome, failing: tally.failing, total, samples: tally.samples, detail: tally.detail };
  });
  return {
    results,
    quarantinedBy: results.filter((result) => result.outcome === 'quarantined'),
    warnings: results.filter((result) => result.outcome === 'warned').length,
  };
}

/** One line for the ledger's error: the rules that quarantined the file, with their counts. */
export function describeQuarantine(key: string, quarantinedBy: readonly CheckResult[]): string {
  const rules = quarantinedBy.map((result) => `${result.id}: ${result.failing} of ${result.total}${result.detail ? ` (${result.detail})` : ''}`);
  return `${key} failed its checks: ${rules.join('; ')}`;
}

/** A file quarantined by its checks: the error carries every rule's result for the ledger. */
export class ChecksFailedError extends FerryError {
  readonly results: readonly CheckResult[];
  constructor(key: string, verdict: CheckVerdict) {
    super('CHECK_FAILED', describeQuarantine(key, verdict.quarantinedBy), { step: 'check' });
    this.results = verdict.results;
  }
}
