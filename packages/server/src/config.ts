/**
 * One validated configuration for the platform process: flags override environment variables,
 * which override defaults. Pure: callers pass in the environment and home directory.
 */
import { join, resolve } from 'node:path';
import { invalidArgument } from '@slipway/contracts';
import { parseS3Uri } from './storage/artifacts/s3-artifact-store.js';

/** Resolved platform configuration. */
export interface SlipwayConfig {
  host: string;
  port: number;
  /** Directory for embedded storage (SQLite file, artifacts). */
  dataDir: string;
  /** Metadata store URI: `sqlite:<path>` (default) or `postgresql://...`. */
  backendStoreUri: string;
  /** Artifact store URI: `file:<dir>` (default) or `s3://bucket/optional/prefix`. */
  artifactsUri: string;
  /** How to reach S3 for an `s3://` artifact store; region and credentials come from the AWS SDK. */
  s3: S3Settings;
  /** Pino log level, or false for no request log. */
  logLevel: string | false;
  /** Whether served predictions are logged (on by default; off only for benchmarks and tests). */
  predictionLog: boolean;
  /**
   * Where the prediction log lives: `duckdb:<file>`, or `postgresql://...` (optionally with
   * `?schema=NAME`) shared by every serving process; absent: the embedded DuckDB file of the process.
   */
  predictionLogUri?: string;
  /** Age (ms) beyond which logged predictions are deleted; absent: kept forever. */
  predictionRetentionMs?: number;
  /** Memory limit of the embedded DuckDB prediction log, e.g. `256MB`; absent: its default. */
  predictionLogMemory?: string;
  /** Memory limit of batch scoring's DuckDB file reader and writer, e.g. `128MB`; absent: its default. */
  batchMemory?: string;
  /**
   * The work queue jobs go through: `postgresql://...[?schema=NAME]` (pg-boss, shared by `slipway
   * worker` processes); absent: the embedded queue in the metadata store.
   */
  queueUri?: string;
  /** Job deliveries this process runs at once (0: none; the platform then only queues jobs). */
  workers: number;
  /** How long a job partition stays with a worker that stopped heartbeating (ms); absent: each kind's own. */
  jobLeaseMs?: number;
  /** Folder of the built web UI served at `/`; absent: the build next to the server (`packages/ui/dist`). */
  uiDir?: string;
}

/** S3 settings Slipway reads itself; ignored unless the artifacts URI is `s3://`. */
export interface S3Settings {
  /** Endpoint of an S3-compatible service (MinIO, Ceph, ...); absent: AWS S3. */
  endpoint?: string;
  /** Path-style addressing (`<endpoint>/<bucket>/<key>`), which most self-hosted services need. */
  forcePathStyle: boolean;
}

/** Flags as given on the command line (all optional strings). */
export interface ConfigFlags {
  host?: string;
  port?: string | number;
  dataDir?: string;
  backendStoreUri?: string;
  artifactsUri?: string;
  logLevel?: string;
  s3EndpointUrl?: string;
  /** A string from the environment, or a boolean from a switch-style flag. */
  s3ForcePathStyle?: string | boolean;
  /** `on`/`off` (or a boolean): log served predictions. */
  predictionLog?: string | boolean;
  predictionLogUri?: string;
  /** A duration: `90d`, `12h`, or milliseconds. */
  predictionRetention?: string;
  /** A size: `256MB`, `1GB`. */
  predictionLogMemory?: string;
  /** A size: `128MB`, `1GB`. */
  batchMemory?: string;
  queueUri?: string;
  workers?: string | number;
  /** A duration: `30s`, `2m`, or milliseconds. */
  jobLease?: string;
  uiDir?: string;
}

/** Environment variables read by the platform. */
export const ENV_VARS = {
  host: 'SLIPWAY_HOST',
  port: 'SLIPWAY_PORT',
  dataDir: 'SLIPWAY_DATA_DIR',
  backendStoreUri: 'SLIPWAY_BACKEND_STORE_URI',
  artifactsUri: 'SLIPWAY_ARTIFACTS_URI',
  logLevel: 'SLIPWAY_LOG_LEVEL',
  s3EndpointUrl: 'SLIPWAY_S3_ENDPOINT_URL',
  s3ForcePathStyle: 'SLIPWAY_S3_FORCE_PATH_STYLE',
  predictionLog: 'SLIPWAY_PREDICTION_LOG',
  predictionLogUri: 'SLIPWAY_PREDICTION_LOG_URI',
  predictionRetention: 'SLIPWAY_PREDICTION_RETENTION',
  predictionLogMemory: 'SLIPWAY_PREDICTION_LOG_MEMORY',
  batchMemory: 'SLIPWAY_BATCH_MEMORY',
  queueUri: 'SLIPWAY_QUEUE_URI',
  workers: 'SLIPWAY_WORKERS',
  jobLease: 'SLIPWAY_JOB_LEASE',
  uiDir: 'SLIPWAY_UI_DIR',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', 'off'];
const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/** Builds the configuration; throws INVALID_ARGUMENT naming the flag for bad values. */
export function loadConfig(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  homeDir: string,
): SlipwayConfig {
  const pick = (key: keyof typeof ENV_VARS): string | undefined => {
    const flag = flags[key];
    return flag !== undefined && flag !== '' ? String(flag) : env[ENV_VARS[key]] || undefined;
  };
  const dataDir = resolve(pick('dataDir') ?? join(homeDir, '.slipway'));
  const backendStoreUri = pick('backendStoreUri') ?? `sqlite:${join(dataDir, 'slipway.db')}`;
  const artifactsUri = pick('artifactsUri') ?? `file:${join(dataDir, 'artifacts')}`;
  checkScheme('backend-store-uri', backendStoreUri, ['sqlite:', 'postgresql:', 'postgres:']);
  checkScheme('artifacts-uri', artifactsUri, ['file:', 's3://']);
  if (artifactsUri.startsWith('s3://')) parseS3Uri(artifactsUri); // a malformed URI fails at startup, not on first upload
  const predictionLogUri = pick('predictionLogUri');
  if (predictionLogUri !== undefined) {
    checkScheme('prediction-log-uri', predictionLogUri, ['duckdb:', 'postgresql:', 'postgres:']);
  }
  const queueUri = pick('queueUri');
  if (queueUri !== undefined) checkScheme('queue-uri', queueUri, ['postgresql:', 'postgres:']);
  const logLevel = pick('logLevel') ?? 'off';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw invalidArgument(
      'log-level',
      `Invalid --log-level '${logLevel}': expected one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  return {
    host: pick('host') ?? '127.0.0.1',
    port: parsePort(pick('port') ?? '5000'),
    dataDir,
    backendStoreUri,
    artifactsUri,
    s3: {
      endpoint: parseEndpoint(pick('s3EndpointUrl')),
      forcePathStyle: parseSwitch('s3-force-path-style', pick('s3ForcePathStyle') ?? 'false'),
    },
    logLevel: logLevel === 'off' ? false : logLevel,
    predictionLog: parseSwitch('prediction-log', pick('predictionLog') ?? 'on'),
    ...(predictionLogUri === undefined ? {} : { predictionLogUri }),
    ...retentionOf(pick('predictionRetention')),
    ...memoryOf('prediction-log-memory', 'predictionLogMemory', pick('predictionLogMemory')),
    ...memoryOf('batch-memory', 'batchMemory', pick('batchMemory')),
    ...(queueUri === undefined ? {} : { queueUri }),
    workers: parseWorkers(pick('workers') ?? '1'),
    ...leaseOf(pick('jobLease')),
    ...uiDirOf(pick('uiDir')),
  };
}

function uiDirOf(raw: string | undefined): { uiDir?: string } {
  return raw === undefined ? {} : { uiDir: resolve(raw) };
}

/** `--prediction-retention`: a whole number of ms, or with a unit `m`, `h` or `d` (at least an hour). */
function retentionOf(raw: string | undefined): { predictionRetentionMs?: number } {
  if (raw === undefined) return {};
  const match = /^(\d+)(m|h|d)?$/.exec(raw.trim());
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match?.[2] ?? ''] ?? 1;
  const ms = match ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 3_600_000) {
    throw invalidArgument(
      'prediction-retention',
      `Invalid --prediction-retention '${raw}': expected a duration of at least 1h, such as 90d or 12h.`,
    );
  }
  return { predictionRetentionMs: ms };
}

/**
 * A DuckDB memory limit: whole megabytes or gigabytes (`256MB`, `2GB`), at least 16 MB, which
 * DuckDB needs to run a query at all. Normalised to DuckDB's own spelling.
 */
function memoryOf<K extends 'predictionLogMemory' | 'batchMemory'>(
  flag: string,
  key: K,
  raw: string | undefined,
): Partial<Record<K, string>> {
  if (raw === undefined) return {};
  const match = /^(\d+)\s*(MB|GB)$/i.exec(raw.trim());
  const megabytes = match ? Number(match[1]) * (match[2]?.toUpperCase() === 'GB' ? 1024 : 1) : Number.NaN;
  if (!Number.isSafeInteger(megabytes) || megabytes < 16) {
    throw invalidArgument(
      flag,
      `Invalid --${flag} '${raw}': expected a size of at least 16MB, such as 256MB or 2GB.`,
    );
  }
  return { [key]: `${megabytes}MB` } as Partial<Record<K, string>>;
}

/** An http(s) URL; credentials in it would be printed and logged, so they belong in AWS_* variables. */
function parseEndpoint(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  const usable =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '';
  if (!usable) {
    // The value is not echoed: a mistyped URL may well carry a secret.
    throw invalidArgument(
      's3-endpoint-url',
      'Invalid --s3-endpoint-url: expected an http:// or https:// URL without credentials, query or fragment.',
    );
  }
  return raw;
}

/** A boolean setting: true/false, 1/0, yes/no or on/off, in any case. */
function parseSwitch(flag: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw invalidArgument(flag, `Invalid --${flag} '${raw}': expected true or false.`);
}

/** `--job-lease`: whole ms, or with a unit `s` or `m`; from 1 s to 1 h. */
function leaseOf(raw: string | undefined): { jobLeaseMs?: number } {
  if (raw === undefined) return {};
  const match = /^(\d+)(s|m)?$/.exec(raw.trim());
  const unit = { s: 1_000, m: 60_000 }[match?.[2] ?? ''] ?? 1;
  const ms = match ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1_000 || ms > 3_600_000) {
    throw invalidArgument(
      'job-lease',
      `Invalid --job-lease '${raw}': expected a duration from 1s to 60m, such as 30s.`,
    );
  }
  return { jobLeaseMs: ms };
}

/** `--workers`: how many job deliveries run at once in this process (0 to 64). */
function parseWorkers(raw: string): number {
  const workers = Number(raw);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw invalidArgument('workers', `Invalid --workers '${raw}': expected an integer between 0 and 64.`);
  }
  return workers;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidArgument('port', `Invalid --port '${raw}': expected an integer between 0 and 65535.`);
  }
  return port;
}

function checkScheme(flag: string, uri: string, schemes: string[]): void {
  if (!schemes.some((s) => uri.startsWith(s))) {
    throw invalidArgument(
      flag,
      `Unsupported --${flag} '${uri}': expected a URI starting with ${schemes.join(' or ')}.`,
    );
  }
}
