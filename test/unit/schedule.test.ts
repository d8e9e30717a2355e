import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextFireTime, parseSchedule } from '../../src/schedule/index.ts';
import { formatDuration, parseDuration } from '../../src/units/index.ts';
import { retryDelayMs } from '../../src/worker/index.ts';

describe('durations', () => {
  it('parses the units people write', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration(' 2H '), 7_200_000);
    assert.equal(parseDuration('1.5s'), 1_500);
  });
  it('rejects what is not a duration', () => {
    for (const text of ['', '5', 'm', '5 minutes', '-5m', '0s', '5mm', '* * * * *']) assert.equal(parseDuration(text), null, text);
  });
  it('formats back to the shortest exact unit', () => {
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(86_400_000), '1d');
    assert.equal(formatDuration(1_500), '1500ms');
  });
});

describe('schedules', () => {
  it('reads an interval or a cron expression', () => {
    assert.deepEqual(parseSchedule('10s'), { kind: 'every', everyMs: 10_000, text: 'every 10s' });
    assert.deepEqual(parseSchedule('*/15 * * * *', 'Europe/Berlin'), {
      kind: 'cron',
      expression: '*/15 * * * *',
      timezone: 'Europe/Berlin',
      text: 'cron */15 * * * * (Europe/Berlin)',
    });
    assert.match(parseSchedule('not a schedule') as string, /neither a duration .* nor a cron expression/);
    assert.match(parseSchedule('0 * * * *', 'Atlantis/Capital') as string, /unknown time zone/);
    assert.match(parseSchedule('500ms') as string, /shorter than 1s/);
  });
  it('finds the next fire time, in the schedule time zone', () => {
    const after = new Date('2026-03-28T12:34:56Z');
    // Intervals fall on multiples of themselves since the epoch, the same for every instance.
    assert.equal(nextFireTime(parseSchedule('5m') as never, after).toISOString(), '2026-03-28T12:35:00.000Z');
    assert.equal(nextFireTime(parseSchedule('5m') as never, new Date('2026-03-28T12:35:00Z')).toISOString(), '2026-03-28T12:40:00.000Z');
    assert.equal(nextFireTime(parseSchedule('24h') as never, after).toISOString(), '2026-03-29T00:00:00.000Z');
    // 03:00 in Berlin on the day after the switch to summer time (UTC+2) is 01:00 UTC
    assert.equal(
      nextFireTime(parseSchedule('0 3 * * *', 'Europe/Berlin') as never, new Date('2026-03-29T12:00:00Z')).toISOString(),
      '2026-03-30T01:00:00.000Z',
    );
    assert.equal(nextFireTime(parseSchedule('0 3 * * *') as never, after).toISOString(), '2026-03-29T03:00:00.000Z');
  });
});

describe('retry backoff', () => {
  it('doubles per attempt, caps at the maximum, and jitters between half and all of it', () => {
    const cases: [attempt: number, random: number, delay: number][] = [
      [1, 1, 2_000],
      [1, 0, 1_000],
      [3, 1, 8_000],
      [30, 1, 300_000],
      [30, 0, 150_000],
    ];
    for (const [attempt, random, delay] of cases)
      assert.equal(
        retryDelayMs(attempt, 2_000, 300_000, () => random),
        delay,
        `attempt ${attempt}`,
      );
  });
});

describe('scheduler', () => {
  it('ticks at start, and a run requested during a run follows it once', async () => {
    const { startScheduler } = await import('../../src/schedule/index.ts');
    const pipeline = { name: 'p', source: { prefix: '', glob: '*', modifiedWithinMs: null }, sink: 'row-count', schedule: parseSchedule('1h') } as const;
    const ticks: string[] = [];
    let release: () => void = () => {};
    let ticked: () => void = () => {};
    /** Resolves at the next tick, or fails after a second without one. */
    const nextTick = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no tick within 1 s')), 1_000);
        ticked = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const scheduler = startScheduler({
      pipelines: [pipeline as never],
      onTick: async (_pipeline, tick) => {
        ticks.push(tick.trigger);
        ticked();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    assert.deepEqual(ticks, ['startup']);
    assert.equal((scheduler.nextRun('p')?.getTime() ?? 0) % 3_600_000, 0, 'the next tick is on the hour');
    scheduler.requestRun('watch');
    scheduler.requestRun('watch');
    assert.equal(ticks.length, 1, 'no overlap');
    const rerun = nextTick();
    release();
    await rerun;
    assert.deepEqual(ticks, ['startup', 'watch'], 'one rerun for any number of requests');
    release();
    await scheduler.stop();
    assert.equal(scheduler.nextRun('p'), null);
  });
});
