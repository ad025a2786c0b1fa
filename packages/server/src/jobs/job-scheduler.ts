/**
 * The one scheduler of a process's scheduled job kinds: every kind whose catalog entry has a
 * `schedule` and for which the process supplies a tick (what "due" means is the kind's: for monitor
 * runs, the monitors whose next run has come) runs that tick every `everyMs`. Ticks never overlap,
 * a failing tick does not stop the others, and time comes from the injected `now`, so tests drive
 * `tick()` by hand instead of waiting for the timer.
 */
import type { JobKind } from '@slipway/contracts';
import { JOB_CATALOG, type JobKindDefinition } from './job-catalog.js';

/** What a scheduled kind does when its time comes, given the scheduler's `now`. */
export type ScheduledTick = (now: number) => Promise<void>;

/** What the scheduler needs. */
export interface JobSchedulerDeps {
  /** The ticks this process runs, by kind; kinds without a catalog schedule are refused. */
  ticks: Partial<Record<JobKind, ScheduledTick>>;
  catalog?: Readonly<Record<string, JobKindDefinition>>;
  now?: () => number;
  /** Told about a tick that threw; the kind ticks again at its next time. */
  onError?: (kind: JobKind, error: unknown) => void;
}

/** Runs the scheduled ticks of a process. */
export class JobScheduler {
  private readonly entries: { kind: JobKind; everyMs: number; tick: ScheduledTick; nextAt: number }[];
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Half the timer's interval: a timer firing a little early still counts as on time. */
  private slackMs = 0;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: JobSchedulerDeps) {
    const catalog: Readonly<Record<string, JobKindDefinition>> = deps.catalog ?? JOB_CATALOG;
    this.now = deps.now ?? Date.now;
    this.entries = Object.entries(deps.ticks).map(([kind, tick]) => {
      const schedule = catalog[kind]?.schedule;
      if (schedule === undefined) throw new Error(`Job kind ${kind} has no schedule in the catalog.`);
      return { kind: kind as JobKind, everyMs: schedule.everyMs, tick, nextAt: 0 };
    });
  }

  /** Starts the timer (at the shortest schedule's interval); unref'd, so it keeps no process alive. */
  start(): void {
    if (this.timer !== undefined || this.entries.length === 0) return;
    const interval = Math.min(...this.entries.map((entry) => entry.everyMs));
    this.slackMs = interval / 2;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  /** Runs every tick that is due at `now()` (each at most once), after the tick in progress. */
  tick(): Promise<void> {
    this.current = this.current.then(() => this.runDue());
    return this.current;
  }

  /** Stops the timer and waits for the tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private async runDue(): Promise<void> {
    for (const entry of this.entries) {
      if (this.stopped) return;
      const now = this.now();
      if (now + this.slackMs < entry.nextAt) continue;
      entry.nextAt = now + entry.everyMs;
      try {
        await entry.tick(now);
      } catch (error) {
        this.deps.onError?.(entry.kind, error);
      }
    }
  }
}
