/** When a run lists the store (listingFor): every run without events; with events, the first, a person's, and an overdue one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListingFacts, listingFor } from '../../src/discover/index.ts';

const now = new Date('2026-12-05T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const HOUR = 3_600_000;
const evented = { events: { kind: 'http' }, reconcileMs: 24 * HOUR } as const;
const facts = (overrides: Partial<ListingFacts>): ListingFacts => ({
  trigger: 'schedule',
  source: evented,
  intervalMs: 5 * 60_000,
  lastListing: ago(HOUR),
  now,
  ...overrides,
});

describe('listing plan', () => {
  it('without events: every run lists; a run events started only when the schedule listing is overdue', () => {
    const plain = { events: null, reconcileMs: null };
    for (const trigger of ['startup', 'schedule', 'manual', 'watch', 'retry'] as const)
      assert.equal(listingFor(facts({ trigger, source: plain, lastListing: ago(1_000) })), 'full', trigger);
    assert.equal(listingFor(facts({ trigger: 'event', source: plain, lastListing: ago(60_000) })), null);
    assert.equal(listingFor(facts({ trigger: 'event', source: plain, lastListing: ago(10 * 60_000) })), 'full');
    assert.equal(listingFor(facts({ trigger: 'event', source: plain, lastListing: null })), 'full');
  });

  it('with events: the first listing is whole, then one when reconcile is overdue, whatever started the run', () => {
    assert.equal(listingFor(facts({ trigger: 'startup', lastListing: null })), 'full');
    assert.equal(listingFor(facts({ trigger: 'schedule', lastListing: ago(HOUR) })), null);
    assert.equal(listingFor(facts({ trigger: 'schedule', lastListing: ago(25 * HOUR) })), 'reconcile');
    // Events that keep the pipeline busy do not put the reconciliation off.
    assert.equal(listingFor(facts({ trigger: 'event', lastListing: ago(HOUR) })), null);
    assert.equal(listingFor(facts({ trigger: 'event', lastListing: ago(25 * HOUR) })), 'reconcile');
    assert.equal(listingFor(facts({ trigger: 'retry', lastListing: ago(25 * HOUR) })), 'reconcile');
  });

  it('a person asks: always a listing; reconcile: null never lists on its own', () => {
    assert.equal(listingFor(facts({ trigger: 'manual', lastListing: ago(1_000) })), 'reconcile');
    assert.equal(listingFor(facts({ trigger: 'manual', lastListing: null })), 'full');
    const never = { events: { kind: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' }, reconcileMs: null } as const;
    assert.equal(listingFor(facts({ trigger: 'startup', source: never, lastListing: null })), null);
    assert.equal(listingFor(facts({ trigger: 'event', source: never, lastListing: ago(1000 * HOUR) })), null);
    assert.equal(listingFor(facts({ trigger: 'manual', source: never, lastListing: null })), 'full');
  });
});
