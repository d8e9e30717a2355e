/**
 * The checks' pure logic, without a file or a database: thresholds, rule resolution (ids,
 * defaults, what a bad rule is told), tallies merged across parts, and the verdict.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateChecks, exceeds, mergeTallies, parseThreshold, type ResolvedCheck, type RuleTally, resolveChecks } from '../../src/check/index.ts';

/** Resolves rules the way the config does, collecting the problems it reports. */
function resolve(inputs: unknown[]): { checks: ResolvedCheck[]; problems: string[] } {
  const problems: string[] = [];
  const checks = resolveChecks('pipelines.p.checks', inputs as Parameters<typeof resolveChecks>[1], (field, message) => problems.push(`${field}: ${message}`), {
    amount: 'bigint',
  });
  return { checks, problems };
}

const tally = (id: string, failing: number, samples: unknown[] = [], detail: string | null = null): RuleTally => ({ id, failing, samples, detail });

describe('thresholds', () => {
  it('are counts or percentages of the rows', () => {
    assert.deepEqual(parseThreshold(5), { count: 5 });
    assert.deepEqual(parseThreshold('5'), { count: 5 });
    assert.deepEqual(parseThreshold(' 2.5 % '), { fraction: 0.025 });
    assert.equal(parseThreshold(-1), null);
    assert.equal(parseThreshold(1.5), null);
    assert.equal(parseThreshold('101%'), null);
    assert.equal(parseThreshold('ten'), null);
  });

  it('are exceeded only when more rows fail than they allow', () => {
    assert.equal(exceeds({ count: 0 }, 0, 100), false);
    assert.equal(exceeds({ count: 0 }, 1, 100), true);
    assert.equal(exceeds({ count: 5 }, 5, 100), false);
    assert.equal(exceeds({ fraction: 0.01 }, 1, 100), false);
    assert.equal(exceeds({ fraction: 0.01 }, 2, 100), true);
  });
});

describe('rule resolution', () => {
  it('gives each rule an id from its rule and columns, and the action-dependent thresholds', () => {
    const { checks, problems } = resolve([
      { rule: 'notNull', columns: ['id'] },
      { rule: 'range', column: 'amount', min: 0, action: 'reject' },
      { rule: 'unique', columns: ['id'], action: 'warn', name: 'ids' },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      checks.map((check) => [check.id, check.kind, check.action, check.errorIf, check.warnIf]),
      [
        ['notNull(id)', 'row', 'quarantine', { count: 0 }, { count: 0 }],
        ['range(amount)', 'row', 'reject', null, { count: 0 }],
        ['ids', 'file', 'warn', null, { count: 0 }],
      ],
    );
  });

  it('names the field and what is allowed for every bad rule', () => {
    const { problems } = resolve([
      { rule: 'unique', columns: ['id'], action: 'reject' },
      { rule: 'range', column: 'amount' },
      { rule: 'range', column: 'amount', min: 5, max: 1 },
      { rule: 'regex', column: 'code', pattern: '(' },
      { rule: 'notNull', columns: ['id'], warnIf: 'lots' },
      { rule: 'notNull', columns: ['id'] },
      { rule: 'cast', action: 'reject' },
      { rule: 'cast', action: 'reject' },
    ]);
    const has = (pattern: RegExp) =>
      assert.ok(
        problems.some((problem) => pattern.test(problem)),
        `${pattern} among:\n${problems.join('\n')}`,
      );
    has(/checks\[0\]\.action: unique judges the whole file: use warn or quarantine/);
    has(/checks\[1\]: range needs min, max or both/);
    has(/checks\[2\]\.min: min 5 is above max 1/);
    has(/checks\[3\]\.pattern: is not a regular expression/);
    has(/checks\[4\]\.warnIf: "lots" is not a count or a percentage/);
    has(/checks\[5\]\.name: rules 4 and 5 both have the id "notNull\(id\)"; give one a name/);
    has(/checks\[7\]: rule 6 is already the cast rule; one cast rule per pipeline/);
  });
});

describe('tallies and the verdict', () => {
  it('sums the parts of a file rule by rule, keeping a bounded number of samples', () => {
    const merged = mergeTallies(
      [
        [tally('notNull(id)', 2, [1, 2]), tally('range(amount)', 1, [-5])],
        [tally('notNull(id)', 3, [3, 4, 5]), tally('freshness(ts)', 0, [], 'newest 2026-12-01')],
      ],
      4,
    );
    assert.deepEqual(merged, [tally('notNull(id)', 5, [1, 2, 3, 4]), tally('range(amount)', 1, [-5]), tally('freshness(ts)', 0, [], 'newest 2026-12-01')]);
  });

  it('judges each rule by its action and thresholds: quarantined, rejected, warned or passed', () => {
    const { checks } = resolve([
      { rule: 'notNull', columns: ['id'] },
      { rule: 'range', column: 'amount', min: 0, action: 'reject' },
      { rule: 'accepted', column: 'status', values: ['a'], action: 'warn', warnIf: '10%' },
      { rule: 'regex', column: 'code', pattern: '^[A-Z]+$', action: 'warn' },
      { rule: 'rowCount', min: 1 },
    ]);
    const verdict = evaluateChecks(checks, [tally('range(amount)', 3), tally('accepted(status)', 20), tally('regex(code)', 0)], 100);
    assert.deepEqual(
      verdict.results.map((result) => [result.id, result.outcome, result.failing, result.total]),
      [
        ['notNull(id)', 'passed', 0, 100],
        ['range(amount)', 'rejected', 3, 100],
        ['accepted(status)', 'warned', 20, 100],
        ['regex(code)', 'passed', 0, 100],
        ['rowCount', 'passed', 0, 1],
      ],
    );
    assert.equal(verdict.warnings, 1);
    assert.deepEqual(verdict.quarantinedBy, []);

    const failed = evaluateChecks(checks, [tally('notNull(id)', 1, [null])], 100);
    assert.deepEqual(
      failed.quarantinedBy.map((result) => result.id),
      ['notNull(id)'],
    );
    // Under its warnIf, a warn rule passes.
    const quiet = evaluateChecks(checks, [tally('accepted(status)', 10)], 100);
    assert.equal(quiet.results.find((result) => result.id === 'accepted(status)')?.outcome, 'passed');
  });
});
