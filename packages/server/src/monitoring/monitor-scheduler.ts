/**
 * Runs scheduled monitors: every tick, claim the monitors that are due (the store hands each to one
 * process only, for a lease), run them one at a time, and set each one's next run.
 */
import type { Monitor } from '@slipway/contracts';
import type { MonitoringStore } from './monitoring-store.js';

/** What the scheduler needs. */
export interface MonitorSchedulerDeps {
  store: MonitoringStore;
  /** Runs (or queues a run of) the monitor. */
  run: (monitor: Monitor) => Promise<unknown>;
  now?: () => number;
  /** How often due monitors are looked for (ms, default 5 s). */
  tickMs?: number;
  /** How long a claimed monitor is this process's before another may take it (ms, default 10 min). */
  leaseMs?: number;
  onError?: (error: unknown) => void;
}

/** A started scheduler. */
export interface MonitorScheduler {
  /** Runs one tick now (tests call this instead of waiting). */
  tick(): Promise<void>;
  /** Stops ticking and waits for the tick in progress. */
  stop(): Promise<void>;
}

/** Starts the scheduler loop. */
export function startMonitorScheduler(deps: MonitorSchedulerDeps): MonitorScheduler {
  const now = deps.now ?? Date.now;
  const leaseMs = deps.leaseMs ?? 600_000;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async (): Promise<void> => {
    const claimed = await deps.store.claimDue(now(), leaseMs, 10);
    for (const monitor of claimed) {
      if (stopped) break;
      try {
        await deps.run(monitor);
      } catch (err) {
        // One monitor's failure must not hold back the others claimed in this tick.
        deps.onError?.(err);
      } finally {
        const interval = monitor.schedule?.intervalMs;
        if (interval !== undefined && monitor.nextRunAt !== undefined) {
          await deps.store.rescheduleMonitor(monitor.id, now() + interval, monitor.nextRunAt);
        }
      }
    }
  };
  const guarded = (): Promise<void> => {
    current = current.then(tick).catch((err: unknown) => deps.onError?.(err));
    return current;
  };
  const timer = setInterval(() => void guarded(), deps.tickMs ?? 5_000);
  timer.unref();
  return {
    tick: guarded,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
