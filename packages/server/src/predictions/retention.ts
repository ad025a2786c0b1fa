/**
 * Retention of the prediction log by age: every `intervalMs`, predictions older than `retentionMs`
 * (and labels received before that) are deleted through the store. Off unless configured; a failed
 * sweep is reported and retried at the next interval, never thrown into the serving path.
 */
import type { PredictionStore } from './prediction-store.js';

/** How often a configured retention sweeps. */
export const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;

/** What a retention needs. */
export interface RetentionOptions {
  store: Pick<PredictionStore, 'deleteBefore'>;
  /** Age beyond which predictions go (ms). */
  retentionMs: number;
  intervalMs?: number;
  now?: () => number;
  /** Told about each sweep's outcome (deleted count, or the error). */
  onSweep?: (outcome: { deleted: number } | { error: unknown }) => void;
}

/** A running retention: `sweep()` runs one now; `stop()` ends the timer. */
export interface Retention {
  sweep(): Promise<number>;
  stop(): void;
}

/** Starts sweeping now and every interval (the timer does not keep the process alive). */
export function startRetention(options: RetentionOptions): Retention {
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    // One sweep at a time: a slow delete is not stacked on by the next tick.
    running ??= options.store
      .deleteBefore(now() - options.retentionMs)
      .then(
        (deleted) => {
          options.onSweep?.({ deleted });
          return deleted;
        },
        (error: unknown) => {
          options.onSweep?.({ error });
          return 0;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void sweep(), options.intervalMs ?? RETENTION_SWEEP_INTERVAL_MS);
  timer.unref();
  void sweep();
  return { sweep, stop: () => clearInterval(timer) };
}
