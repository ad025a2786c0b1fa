/**
 * The scheduled tick of monitor runs: claim the monitors that are due (the store hands each to one
 * process only, for a lease), run (or queue a run of) each, and set each one's next run. The job
 * scheduler (jobs/job-scheduler.ts) calls it every `monitor_run.schedule.everyMs` with its `now`.
 */
import type { Monitor } from '@slipway/contracts';
import type { ScheduledTick } from '../jobs/job-scheduler.js';
import type { MonitoringStore } from './monitoring-store.js';

/** What the tick needs. */
export interface MonitorScheduleDeps {
  store: MonitoringStore;
  /** Runs (or queues a run of) the monitor. */
  run: (monitor: Monitor) => Promise<unknown>;
  /** How long a claimed monitor is this process's before another may take it (ms, default 10 min). */
  leaseMs?: number;
  /** Told about one monitor's failure; the others claimed in the tick still run. */
  onError?: (error: unknown) => void;
}

/** Monitors claimed per tick at most. */
const CLAIM_LIMIT = 10;

/** The tick that runs the monitors due at `now` and sets their next run to `now + interval`. */
export function monitorScheduleTick(deps: MonitorScheduleDeps): ScheduledTick {
  const leaseMs = deps.leaseMs ?? 600_000;
  return async (now) => {
    const claimed = await deps.store.claimDue(now, leaseMs, CLAIM_LIMIT);
    for (const monitor of claimed) {
      try {
        await deps.run(monitor);
      } catch (err) {
        deps.onError?.(err);
      } finally {
        const interval = monitor.schedule?.intervalMs;
        if (interval !== undefined && monitor.nextRunAt !== undefined) {
          await deps.store.rescheduleMonitor(monitor.id, now + interval, monitor.nextRunAt);
        }
      }
    }
  };
}
