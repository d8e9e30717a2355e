/**
 * Fires each pipeline's runs: one at start (as the demo did), then one per schedule tick, and
 * one when asked (new files seen). A tick that comes while the previous run of the same
 * pipeline is still going is skipped, not queued.
 */
import { nextFireTime, type Schedule } from './schedule.ts';

/** What the scheduler needs of a pipeline. */
export interface ScheduledPipeline {
  readonly name: string;
  readonly schedule: Schedule;
}

/** setTimeout cannot wait longer than about 24.8 days; longer waits are done in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SchedulerOptions<P extends ScheduledPipeline> {
  readonly pipelines: readonly P[];
  readonly onTick: (pipeline: P, tick: Tick) => Promise<void>;
  readonly now?: () => Date;
}

/** Why a run is asked for outside the schedule: new files seen in the folder, files retried, or files recorded from object-created events. */
export type RequestTrigger = 'watch' | 'retry' | 'event';

/** Why a run starts: at start-up, on a schedule tick (at `scheduledFor`), or when asked. */
export type Tick =
  | { readonly trigger: 'startup' | RequestTrigger; readonly scheduledFor: null }
  | { readonly trigger: 'schedule'; readonly scheduledFor: Date };

export interface Scheduler<P extends ScheduledPipeline = ScheduledPipeline> {
  /** When each pipeline fires next (null while stopping). */
  nextRun(pipeline: string): Date | null;
  /**
   * Runs the pipelines now, outside their schedule (new files were seen, or files were
   * retried), recorded with `trigger`. A pipeline that is running already runs once more when
   * it finishes, so nothing seen during a run waits for the next tick.
   */
  requestRun(trigger: RequestTrigger, which?: (pipeline: P) => boolean): void;
  /** Stops firing and waits for the runs in progress. */
  stop(): Promise<void>;
}

export function startScheduler<P extends ScheduledPipeline>(options: SchedulerOptions<P>): Scheduler<P> {
  const now = options.now ?? (() => new Date());
  const nextRuns = new Map<string, Date | null>();
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<void>>();
  /** Pipelines to run again when their run ends, with why (the latest request's reason). */
  const rerun = new Map<string, RequestTrigger>();
  let stopped = false;

  const start = (pipeline: P, tick: Tick) => {
    if (stopped) return;
    if (running.has(pipeline.name)) {
      if (tick.trigger !== 'startup' && tick.trigger !== 'schedule') rerun.set(pipeline.name, tick.trigger);
      return;
    }
    const run = options.onTick(pipeline, tick).finally(() => {
      running.delete(pipeline.name);
      const again = rerun.get(pipeline.name);
      if (again !== undefined) {
        rerun.delete(pipeline.name);
        start(pipeline, { trigger: again, scheduledFor: null });
      }
    });
    running.set(pipeline.name, run);
  };

  const fire = (pipeline: P, scheduledFor: Date) => {
    start(pipeline, { trigger: 'schedule', scheduledFor });
    arm(pipeline, nextFireTime(pipeline.schedule, scheduledFor));
  };

  const arm = (pipeline: P, at: Date) => {
    if (stopped) return;
    nextRuns.set(pipeline.name, at);
    const wait = Math.max(0, at.getTime() - now().getTime());
    const timer = setTimeout(() => (wait > MAX_TIMER_MS ? arm(pipeline, at) : fire(pipeline, at)), Math.min(wait, MAX_TIMER_MS));
    timers.set(pipeline.name, timer);
  };

  for (const pipeline of options.pipelines) {
    start(pipeline, { trigger: 'startup', scheduledFor: null });
    arm(pipeline, nextFireTime(pipeline.schedule, now()));
  }

  return {
    nextRun: (pipeline) => nextRuns.get(pipeline) ?? null,
    requestRun(trigger, which) {
      for (const pipeline of options.pipelines) if (which === undefined || which(pipeline)) start(pipeline, { trigger, scheduledFor: null });
    },
    async stop() {
      stopped = true;
      rerun.clear();
      for (const timer of timers.values()) clearTimeout(timer);
      nextRuns.clear();
      // A run that ends starts no rerun once stopped; wait until none is left.
      while (running.size > 0) await Promise.allSettled(running.values());
    },
  };
}
