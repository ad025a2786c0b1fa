/**
 * `client.jobs`: background jobs (batch scoring, monitor runs, evaluations, and the webhook
 * deliveries the platform queues for alerts). Submit a job, follow its progress (rows done,
 * rows/s, ETA), cancel it, or retry a failed one (it resumes after its committed chunks).
 */
import { TERMINAL_JOB_STATES } from '@slipway/contracts';
import type {
  BatchScorePayload,
  CreateEvaluationRequest,
  JobDetails,
  JobDetailsOf,
  JobKind,
  JobPage,
  JobState,
  MonitorRunPayload,
} from '@slipway/contracts';
import { pathOf, type Transport } from './transport.js';

/** Filters and paging of `jobs.list`. */
export interface ListJobsOptions {
  kind?: JobKind;
  state?: JobState;
  maxResults?: number;
  pageToken?: string;
}

/** Options of `jobs.wait`. */
export interface WaitOptions {
  /** Time between polls (ms, default 500). */
  intervalMs?: number;
  /** Called with every poll's job, e.g. to draw a progress bar. */
  onProgress?: (job: JobDetails) => void;
  /** Stops waiting (the job keeps running) when aborted. */
  signal?: AbortSignal;
}

interface JobResponse {
  job: JobDetails;
}

/** Job operations of a client. */
export class JobsApi {
  constructor(private readonly http: Transport) {}

  /**
   * Queues a batch scoring job; InvalidArgumentError (`details.field`) for a payload or input the
   * model's contract refuses, NotFoundError for an unknown model or input file, AlreadyExistsError
   * for an existing output without `overwrite`.
   */
  async submitBatchScore(payload: BatchScorePayload): Promise<JobDetailsOf<'batch_score'>> {
    const { job } = await this.http.json<JobResponse>('POST', '/jobs/batch-score', { json: payload });
    return job as JobDetailsOf<'batch_score'>;
  }

  /** Queues one run of a monitor on the job runner (`POST /api/v1/monitors/{m}/run` runs it in the request instead). */
  async submitMonitorRun(payload: MonitorRunPayload): Promise<JobDetailsOf<'monitor_run'>> {
    const { job } = await this.http.json<JobResponse>('POST', '/jobs/monitor-run', { json: payload });
    return job as JobDetailsOf<'monitor_run'>;
  }

  /**
   * Queues an evaluation (the request `evaluations.create` takes); aliases are pinned at submit.
   * Its result names the stored evaluation and the gate verdict; InvalidArgumentError (with
   * `details.field`) or NotFoundError for a request that cannot work.
   */
  async submitEvaluation(request: CreateEvaluationRequest): Promise<JobDetailsOf<'evaluation'>> {
    const { job } = await this.http.json<JobResponse>('POST', '/jobs/evaluation', { json: request });
    return job as JobDetailsOf<'evaluation'>;
  }

  /** The job with its partitions and progress; NotFoundError when unknown. */
  async get(id: string): Promise<JobDetails> {
    return (await this.http.json<JobResponse>('GET', pathOf('jobs', id))).job;
  }

  /** One page of jobs, newest first. */
  list(options: ListJobsOptions = {}): Promise<JobPage> {
    return this.http.json<JobPage>('GET', '/jobs', {
      query: {
        kind: options.kind,
        state: options.state,
        max_results: options.maxResults,
        page_token: options.pageToken,
      },
    });
  }

  /** Asks the job to stop; running partitions stop at their next chunk. */
  async cancel(id: string): Promise<JobDetails> {
    return (await this.http.json<JobResponse>('POST', pathOf('jobs', id, 'cancel'))).job;
  }

  /** Queues a failed or cancelled job again; FailedPreconditionError for other states. */
  async retry(id: string): Promise<JobDetails> {
    return (await this.http.json<JobResponse>('POST', pathOf('jobs', id, 'retry'))).job;
  }

  /** Polls until the job succeeds, fails or is cancelled, and returns it as it ended. */
  async wait(id: string, options: WaitOptions = {}): Promise<JobDetails> {
    const interval = options.intervalMs ?? 500;
    for (;;) {
      const job = await this.get(id);
      options.onProgress?.(job);
      if (TERMINAL_JOB_STATES.includes(job.state)) return job;
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}
