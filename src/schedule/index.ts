export { cronSchedule, everySchedule, isValidTimezone, MIN_INTERVAL_MS, nextFireTime, parseSchedule, type Schedule, scheduleIntervalMs } from './schedule.ts';
export { type ScheduledPipeline, type Scheduler, type SchedulerOptions, startScheduler, type Tick } from './scheduler.ts';
