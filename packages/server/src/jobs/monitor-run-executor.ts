/**
 * The executor of monitor run jobs: one partition that runs the monitor over its window (the run
 * and its statistics are stored by the monitoring stage) and commits it as the partition's only
 * chunk, whose `file` is the stored run's id; the final step reads that run back as the result.
 */
import type { JobDetails, MonitorRun, MonitorRunJobResult } from '@slipway/contracts';
import type { JobExecutor, PartitionAttempt } from './job-executor.js';
import type { CommittedChunk } from './job-store.js';

/** What the monitor run executor needs from the monitoring stage. */
export interface MonitorRunExecutorDeps {
  run: (monitorId: string) => Promise<MonitorRun>;
  getRun: (runId: string) => Promise<MonitorRun>;
}

/** Runs monitor run jobs. */
export class MonitorRunExecutor implements JobExecutor {
  constructor(private readonly deps: MonitorRunExecutorDeps) {}

  /** Runs the monitor once; a run that fails to compute is stored as failed, not retried. */
  async runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'> {
    if (attempt.job.kind !== 'monitor_run') throw new Error(`Not a monitor run job: ${attempt.job.kind}`);
    // A redelivery after the run was committed has nothing left to do.
    if (attempt.partition.committedChunks > 0) return 'done';
    const run = await this.deps.run(attempt.job.payload.monitorId);
    const outcome = await attempt.commit({ chunk: 0, rows: run.rows ?? 0, rejected: 0, file: run.id });
    return outcome.held && !outcome.cancelRequested ? 'done' : 'stopped';
  }

  /** The run the partition committed, summarized. */
  async finalize(_job: JobDetails, chunks: readonly CommittedChunk[]): Promise<MonitorRunJobResult> {
    const runId = chunks[0]?.file;
    if (runId === undefined) throw new Error('The monitor run job committed no run.');
    const run = await this.deps.getRun(runId);
    return {
      runId,
      state: run.state === 'failed' ? 'failed' : 'succeeded',
      statistics: run.statistics.length,
      flagged: run.statistics.filter((s) => s.flagged).length,
    };
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
