/** `slipway server`: starts the platform (embedded SQLite + local artifacts unless told otherwise). */
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../config.js';
import type { CliDeps } from './program.js';

/** Registers `slipway server`. */
export function registerServerCommand(program: Command, deps: CliDeps): void {
  program
    .command('server')
    .description('Start the Slipway server (MLflow-compatible tracking API and the native /api/v1 API).')
    .option('--host <host>', 'interface to bind (env SLIPWAY_HOST)', undefined)
    .option('-p, --port <port>', 'port to listen on (env SLIPWAY_PORT, default 5000)')
    .option('--data-dir <dir>', 'directory for embedded storage (env SLIPWAY_DATA_DIR, default ~/.slipway)')
    .option(
      '--backend-store-uri <uri>',
      'metadata store: sqlite:<path> or postgresql://... (env SLIPWAY_BACKEND_STORE_URI)',
    )
    .option(
      '--artifacts-uri <uri>',
      'artifact store: file:<dir> or s3://bucket/prefix (env SLIPWAY_ARTIFACTS_URI)',
    )
    .option('--s3-endpoint-url <url>', 'S3-compatible endpoint (env SLIPWAY_S3_ENDPOINT_URL)')
    .option('--s3-force-path-style', 'path-style S3 addressing (env SLIPWAY_S3_FORCE_PATH_STYLE)')
    .option('--log-level <level>', 'request log level: info, debug, ... or off (env SLIPWAY_LOG_LEVEL)')
    .option(
      '--prediction-log <on|off>',
      'log served predictions to <data-dir>/predictions.duckdb (env SLIPWAY_PREDICTION_LOG, default on)',
    )
    .option(
      '--prediction-retention <age>',
      'delete logged predictions older than this, e.g. 90d (env SLIPWAY_PREDICTION_RETENTION; default: keep)',
    )
    .option(
      '--prediction-log-uri <uri>',
      'the prediction log: duckdb:<file> or postgresql://...[?schema=NAME] (env SLIPWAY_PREDICTION_LOG_URI)',
    )
    .option(
      '--queue-uri <uri>',
      'the job work queue: postgresql://...[?schema=NAME] for slipway worker processes (env SLIPWAY_QUEUE_URI; default: embedded)',
    )
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
    .option(
      '--workers <n>',
      'job deliveries this server runs itself, 0 to leave them to workers (env SLIPWAY_WORKERS, default 1)',
    )
    .option(
      '--ui-dir <dir>',
      'folder of a built web UI to serve at / (env SLIPWAY_UI_DIR; default: the bundled build)',
    )
    .action(async (flags: ConfigFlags) => {
      const config = loadConfig(flags, deps.env ?? process.env, homedir());
      const platform = await deps.startPlatform(config);
      const write = deps.write ?? ((t: string) => process.stdout.write(t));
      write(
        `Slipway listening on ${platform.url} (store ${redact(config.backendStoreUri)}, artifacts ${config.artifactsUri})\n`,
      );
      const stop = (): void => {
        void platform.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** Hides a password in a connection URI before printing it. */
function redact(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@]+@/, '//$1:***@');
}
