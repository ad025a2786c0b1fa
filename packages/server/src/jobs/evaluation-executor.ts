/**
 * The executor of evaluation jobs: one partition that runs the evaluation (scored, logged to a
 * tracking run and stored by the evaluation service) and commits it as the partition's only chunk.
 * The evaluation's id is derived from the job's, so an attempt that died after storing it but
 * before committing is not evaluated twice: the next attempt finds it and only commits.
 */
import type {
  CreateEvaluationRequest,
  Evaluation,
  EvaluationJobResult,
  JobDetails,
} from '@slipway/contracts';
import type { JobExecutor, PartitionAttempt } from './job-executor.js';
import type { CommittedChunk } from './job-store.js';

/** What the evaluation executor needs from the evaluation service. */
export interface EvaluationExecutorDeps {
  evaluate: (request: CreateEvaluationRequest, actor: string, id: string) => Promise<Evaluation>;
  find: (id: string) => Promise<Evaluation | undefined>;
}

/** The id of the evaluation a job stores: the job id's hex, like every other evaluation id. */
export function evaluationIdOf(jobId: string): string {
  return jobId.replace(/^job_/, '');
}

/** Runs evaluation jobs. */
export class EvaluationExecutor implements JobExecutor {
  constructor(private readonly deps: EvaluationExecutorDeps) {}

  /** Evaluates once (or finds the evaluation an earlier attempt stored) and commits it. */
  async runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'> {
    const { job } = attempt;
    if (job.kind !== 'evaluation') throw new Error(`Not an evaluation job: ${job.kind}`);
    if (attempt.partition.committedChunks > 0) return 'done';
    const id = evaluationIdOf(job.id);
    const evaluation =
      (await this.deps.find(id)) ?? (await this.deps.evaluate(job.payload.request, job.payload.actor, id));
    const outcome = await attempt.commit({ chunk: 0, rows: evaluation.dataset.rows, rejected: 0, file: id });
    return outcome.held && !outcome.cancelRequested ? 'done' : 'stopped';
  }

  /** The stored evaluation's id and gate verdict. */
  async finalize(_job: JobDetails, chunks: readonly CommittedChunk[]): Promise<EvaluationJobResult> {
    const id = chunks[0]?.file;
    if (id === undefined) throw new Error('The evaluation job committed no evaluation.');
    const evaluation = await this.deps.find(id);
    if (evaluation === undefined) throw new Error(`The evaluation job's evaluation ${id} is gone.`);
    return { evaluationId: id, ...(evaluation.verdict === undefined ? {} : { verdict: evaluation.verdict }) };
  }

  /** Nothing to release (the service closes the models it loads). */
  async close(): Promise<void> {}
}
