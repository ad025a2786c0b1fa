/**
 * `slipway worker`: a job worker process. It reads jobs and models from the platform's stores
 * (the same `--backend-store-uri` / `--artifacts-uri` as `slipway server`) and takes deliveries
 * from the work queue: `--queue-uri postgresql://...` (pg-boss) for workers on many machines, or
 * the embedded queue in the metadata store (one machine, or PostgreSQL metadata). SIGTERM/SIGINT
 * stop taking work, let deliveries in flight settle (a partition stops at its next chunk), flush
 * the prediction log and exit 0.
 *
 * Prediction log: batch predictions go to `--prediction-log-uri` (a PostgreSQL log shared with
 * the platform is the scale-out setup); without it the worker writes its own DuckDB file
 * `<data-dir>/predictions-worker-<pid>.duckdb`, since the server holds its own file.
 */
import { homedir, hostname } from 'node:os';
import type { Command } from 'commander';
import { loadConfig, type ConfigFlags, type SlipwayConfig } from '../config.js';
import { closeOnSignals, writerOf } from './output.js';
import type { CliDeps } from './program.js';

/** A running worker process. */
export interface StartedWorker {
  workerId: string;
  close(): Promise<void>;
}

/** Starts a worker (main.ts's `startWorker`). */
export type StartWorker = (config: SlipwayConfig, options: { workerId: string }) => Promise<StartedWorker>;

interface WorkerFlags extends ConfigFlags {
  concurrency?: string;
}

/** Registers `slipway worker`. */
export function registerWorkerCommand(program: Command, deps: CliDeps): void {
  program
    .command('worker')
    .description("Run jobs (batch scoring) from the platform's work queue until stopped.")
    .option('--concurrency <n>', 'deliveries run at once (env SLIPWAY_WORKERS, default 1)')
    .option(
      '--batch-memory <size>',
      "memory limit of batch scoring's DuckDB file reader and writer, e.g. 128MB (env SLIPWAY_BATCH_MEMORY, default 128MB)",
    )
    .option(
      '--prediction-log-memory <size>',
      'memory limit of the embedded DuckDB prediction log, e.g. 256MB (env SLIPWAY_PREDICTION_LOG_MEMORY, default 256MB)',
    )
    .option(
      '--job-lease <duration>',
      'how long a dead worker keeps a job partition, e.g. 30s (env SLIPWAY_JOB_LEASE)',
    )
    .option('--data-dir <dir>', 'directory of embedded storage (env SLIPWAY_DATA_DIR, default ~/.slipway)')
    .option(
      '--backend-store-uri <uri>',
      "the platform's metadata store: sqlite:<path> or postgresql://... (env SLIPWAY_BACKEND_STORE_URI)",
    )
    .option(
      '--artifacts-uri <uri>',
      "the platform's artifact store: file:<dir> or s3://bucket/prefix (env SLIPWAY_ARTIFACTS_URI)",
    )
    .option(
      '--queue-uri <uri>',
      'the work queue: postgresql://...[?schema=NAME] (env SLIPWAY_QUEUE_URI; default: the embedded queue)',
    )
    .option(
      '--prediction-log-uri <uri>',
      'where batch predictions are logged: postgresql://...[?schema=NAME] or duckdb:<file> (env SLIPWAY_PREDICTION_LOG_URI)',
    )
    .option('--s3-endpoint-url <url>', 'S3-compatible endpoint (env SLIPWAY_S3_ENDPOINT_URL)')
    .option('--s3-force-path-style', 'path-style S3 addressing (env SLIPWAY_S3_FORCE_PATH_STYLE)')
    .action(async (flags: WorkerFlags) => {
      const env = deps.env ?? process.env;
      const { concurrency, ...configFlags } = flags;
      const config = loadConfig(
        { ...configFlags, ...(concurrency === undefined ? {} : { workers: concurrency }) },
        env,
        homedir(),
      );
      if (config.workers < 1) throw new Error('A worker needs --concurrency of at least 1.');
      const start = deps.startWorker ?? (await import('../main.js')).startWorker;
      const worker = await start(config, { workerId: `${hostname()}:${process.pid}` });
      writerOf(deps)(
        `Slipway worker ${worker.workerId} running ${config.workers} at once (queue ${config.queueUri === undefined ? 'embedded' : 'pg-boss'})\n`,
      );
      closeOnSignals(worker);
    });
}
