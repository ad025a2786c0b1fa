/**
 * `slipway predictions query|tail|aggregate|export`: an endpoint's prediction log, joined with its
 * labels, through the SDK. `query` prints one page (newest first), `tail` polls for new predictions
 * and prints them oldest first as they arrive until SIGINT (or `--max N`), `aggregate` prints time
 * buckets, `export` downloads the log as a file (never leaving a partial one at `--out`).
 * Times are ms since the epoch or ISO 8601, checked by the server.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  EXPORT_FORMATS,
  PREDICTION_STATUSES,
  TRAFFIC_ARMS,
  definedFields,
  invalidArgument,
  type ExportFormat,
  type AggregateBucket,
  type LoggedPrediction,
  type PredictionStatus,
  type TrafficArm,
} from '@slipway/contracts';
import type { PredictionQueryFilter, SlipwayClient } from '@slipway/sdk';
import {
  addClientOptions,
  clientFor,
  formatDuration,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writerOf,
  type ClientFlags,
  type Write,
} from './output.js';
import type { CliDeps } from './program.js';

/** Filters every subcommand takes. */
interface FilterFlags extends ClientFlags {
  modelVersion?: string;
  arm?: TrafficArm;
  entity?: string;
  tag?: string;
  status?: PredictionStatus;
}

interface QueryFlags extends FilterFlags {
  from?: string;
  to?: string;
  labelled?: boolean;
  unlabelled?: boolean;
  limit?: number;
  cursor?: string;
}

interface TailFlags extends FilterFlags {
  intervalMs: number;
  last: number;
  max?: number;
}

interface ExportFlags extends FilterFlags {
  out: string;
  format?: ExportFormat;
  overwrite?: boolean;
  from?: string;
  to?: string;
  labelled?: boolean;
  unlabelled?: boolean;
}

interface AggregateFlags extends FilterFlags {
  from: string;
  to: string;
  bucket?: string;
  groupBy?: ('modelVersion' | 'arm')[];
  predictionField?: string;
}

/** Widest compact-JSON output shown in a table cell. */
const OUTPUT_WIDTH = 40;

/** How far back `tail` re-reads, for predictions flushed to the log after later ones. */
const TAIL_LOOKBACK_MS = 10_000;

/** Registers `slipway predictions ...`. */
export function registerPredictionsCommands(program: Command, deps: CliDeps): void {
  const predictions = program
    .command('predictions')
    .description("Read an endpoint's prediction log, joined with its labels: query, tail, aggregate.");
  registerQuery(predictions, deps);
  registerTail(predictions, deps);
  registerAggregate(predictions, deps);
  registerExport(predictions, deps);
}

function registerExport(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('export')
    .description("Write an endpoint's joined log to a Parquet, CSV or JSON-lines file, oldest first.")
    .argument('<endpoint>', 'endpoint name')
    .requiredOption('--out <file>', 'the file to write (refused when it exists, unless --overwrite)')
    .addOption(
      new Option('--format <format>', 'file format (default: from --out, else parquet)').choices([
        ...EXPORT_FORMATS,
      ]),
    )
    .option('--overwrite', 'replace --out when it exists')
    .option('--from <time>', 'inclusive lower bound on the prediction time (ms or ISO 8601)')
    .option('--to <time>', 'exclusive upper bound on the prediction time (ms or ISO 8601)');
  addFilterOptions(command)
    .addOption(new Option('--labelled', 'only predictions with a label').conflicts('unlabelled'))
    .option('--unlabelled', 'only predictions without a label');
  addClientOptions(command, deps).action(async (endpoint: string, flags: ExportFlags) => {
    if (!flags.overwrite && existsSync(flags.out)) {
      throw invalidArgument('out', `${flags.out} exists; pass --overwrite to replace it`);
    }
    const format = flags.format ?? formatOfPath(flags.out);
    const labelled = flags.labelled ? true : flags.unlabelled ? false : undefined;
    const exported = await clientFor(flags).predictions.export(endpoint, {
      ...filterOf(flags),
      ...definedFields({ from: flags.from, to: flags.to, labelled }),
      format,
    });
    // Written beside the target and renamed at the end, so --out is never a partial file.
    const partial = `${flags.out}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(exported.body as NodeReadableStream<Uint8Array>),
        createWriteStream(partial),
      );
      await rename(partial, flags.out);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { rows: exported.rows, format, path: flags.out });
    write(`Wrote ${exported.rows} predictions to ${flags.out} (${format}).\n`);
  });
}

/** The export format a file name implies (`.parquet`, `.csv`, `.jsonl`/`.ndjson`); Parquet otherwise. */
function formatOfPath(path: string): ExportFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return 'parquet';
}

/** The filters shared by every subcommand. */
function addFilterOptions(command: Command): Command {
  return command
    .option('--model-version <v>', 'only predictions of this model version')
    .addOption(new Option('--arm <arm>', 'only predictions of this traffic arm').choices([...TRAFFIC_ARMS]))
    .option('--entity <id>', "only predictions of this entity (the caller's entity id)")
    .option('--tag <key:value>', 'only predictions whose request carried this tag', parseTag)
    .addOption(
      new Option('--status <status>', 'only served predictions (ok) or failed requests (error)').choices([
        ...PREDICTION_STATUSES,
      ]),
    );
}

function registerQuery(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('query')
    .description("Print a page of an endpoint's logged predictions with their labels, newest first.")
    .argument('<endpoint>', 'endpoint name')
    .option('--from <time>', 'inclusive lower bound on the prediction time (ms or ISO 8601)')
    .option('--to <time>', 'exclusive upper bound on the prediction time (ms or ISO 8601)');
  addFilterOptions(command)
    .addOption(new Option('--labelled', 'only predictions with a label').conflicts('unlabelled'))
    .option('--unlabelled', 'only predictions without a label')
    .option('--limit <n>', 'page size (1-1000, default 100)', parsePositiveInt)
    .option('--cursor <cursor>', 'continue from a previous page');
  addClientOptions(command, deps).action(async (endpoint: string, flags: QueryFlags) => {
    const labelled = flags.labelled ? true : flags.unlabelled ? false : undefined;
    const page = await clientFor(flags).predictions.query(endpoint, {
      ...filterOf(flags),
      ...definedFields({
        from: flags.from,
        to: flags.to,
        labelled,
        limit: flags.limit,
        cursor: flags.cursor,
      }),
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, page);
    write(page.predictions.length === 0 ? 'No predictions found.\n' : predictionTable(page.predictions));
    if (page.nextCursor) write(`More results: --cursor ${page.nextCursor}\n`);
  });
}

function registerTail(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('tail')
    .description(
      'Print the latest predictions, then new ones as they reach the log (oldest first), until interrupted.',
    )
    .argument('<endpoint>', 'endpoint name')
    .option('--interval-ms <ms>', 'how often to poll the log', parsePositiveInt, 1000)
    .option(
      '--last <n>',
      'latest predictions to print first (at most 1000; 0: only new ones)',
      parseCount,
      10,
    )
    .option('--max <n>', 'exit after printing this many predictions', parsePositiveInt);
  addClientOptions(addFilterOptions(command), deps).action(async (endpoint: string, flags: TailFlags) => {
    const write = writerOf(deps);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    try {
      await tail(clientFor(flags), endpoint, flags, write, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
    }
  });
}

function registerAggregate(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('aggregate')
    .description(
      "Print time-bucket aggregates of an endpoint's log: counts, errors, latency, label delay, prediction distribution, realized metrics.",
    )
    .argument('<endpoint>', 'endpoint name')
    .requiredOption('--from <time>', 'window start, inclusive (ms or ISO 8601)')
    .requiredOption('--to <time>', 'window end, exclusive (ms or ISO 8601)')
    .option('--bucket <width>', 'bucket width: ms, or 30s, 5m, 1h, 1d (default 1h)')
    .option('--group-by <keys>', 'split buckets by modelVersion and/or arm (comma-separated)', parseGroupBy)
    .option(
      '--prediction-field <field>',
      'output field to describe (quantiles or top values) and compare with the label (mae or accuracy)',
    );
  addClientOptions(addFilterOptions(command), deps).action(
    async (endpoint: string, flags: AggregateFlags) => {
      const buckets = await clientFor(flags).predictions.aggregate(endpoint, {
        ...filterOf(flags),
        from: flags.from,
        to: flags.to,
        ...definedFields({
          bucket: flags.bucket,
          groupBy: flags.groupBy,
          predictionField: flags.predictionField,
        }),
      });
      const write = writerOf(deps);
      if (flags.json) return writeJson(write, { buckets });
      write(
        buckets.length === 0 ? 'No predictions in the window.\n' : bucketTable(buckets, flags.groupBy ?? []),
      );
    },
  );
}

// ---------------------------------------------------------------------------------------------
// tail
// ---------------------------------------------------------------------------------------------

/**
 * Prints the latest `--last` predictions, then polls every `--interval-ms` for predictions not
 * printed yet. Each poll re-reads a lookback window before the newest one seen, because the log is
 * written by a queue (about every second) and by several serving processes, so a prediction can
 * reach it after later ones; the ids seen in that window are remembered so none prints twice.
 */
async function tail(
  client: SlipwayClient,
  endpoint: string,
  flags: TailFlags,
  write: Write,
  signal: AbortSignal,
): Promise<void> {
  const filter = filterOf(flags);
  const seen = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  let printed = 0;
  const remaining = (): number => (flags.max === undefined ? Number.POSITIVE_INFINITY : flags.max - printed);
  const print = (predictions: LoggedPrediction[]): void => {
    for (const p of predictions) {
      seen.set(p.predictionId, p.timestamp);
      newest = Math.max(newest, p.timestamp);
    }
    const shown = predictions.slice(0, Math.max(0, remaining()));
    for (const p of shown) write(flags.json ? `${JSON.stringify(p)}\n` : `${tailLine(p)}\n`);
    printed += shown.length;
  };

  // Only the log's own timestamps are compared (never this machine's clock). What the log holds at
  // the start, up to a lookback window before its newest prediction, counts as seen: --last prints
  // the newest of it and the polls print only what reaches the log afterwards.
  const latest = await client.predictions.query(endpoint, {
    ...filter,
    limit: Math.min(Math.max(flags.last, 1), 1000),
  });
  const top = latest.predictions[0];
  if (top !== undefined) {
    const window = { ...filter, from: top.timestamp - TAIL_LOOKBACK_MS, to: top.timestamp + 1 };
    for await (const p of client.predictions.iterate(endpoint, window)) seen.set(p.predictionId, p.timestamp);
    newest = top.timestamp;
  }
  print(oldestFirst(latest.predictions.slice(0, flags.last)));
  while (remaining() > 0 && !signal.aborted) {
    try {
      await sleep(flags.intervalMs, undefined, { signal });
    } catch {
      break; // interrupted
    }
    const since = Number.isFinite(newest) ? newest - TAIL_LOOKBACK_MS : undefined;
    const fresh: LoggedPrediction[] = [];
    const query = since === undefined ? filter : { ...filter, from: since };
    for await (const p of client.predictions.iterate(endpoint, query)) {
      if (!seen.has(p.predictionId)) fresh.push(p);
    }
    print(oldestFirst(fresh));
    if (since !== undefined) for (const [id, timestamp] of seen) if (timestamp < since) seen.delete(id);
  }
}

function oldestFirst(predictions: LoggedPrediction[]): LoggedPrediction[] {
  return [...predictions].sort(
    (a, b) => a.timestamp - b.timestamp || a.predictionId.localeCompare(b.predictionId),
  );
}

function tailLine(p: LoggedPrediction): string {
  return predictionCells(p).join('  ');
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The SDK filter of the shared options. */
function filterOf(flags: FilterFlags): PredictionQueryFilter {
  return definedFields({
    modelVersion: flags.modelVersion,
    arm: flags.arm,
    entityId: flags.entity,
    tag: flags.tag,
    status: flags.status,
  });
}

const PREDICTION_HEADERS = ['TIME', 'ID', 'VERSION', 'ARM', 'ENTITY', 'OUTPUT', 'LABEL', 'DELAY'];

function predictionTable(predictions: LoggedPrediction[]): string {
  return formatTable(PREDICTION_HEADERS, predictions.map(predictionCells));
}

function predictionCells(p: LoggedPrediction): string[] {
  return [
    formatTime(p.timestamp),
    p.predictionId,
    p.modelVersion,
    p.arm,
    p.entityId ?? '-',
    truncate(p.error === undefined ? JSON.stringify(p.output) : `error ${p.error.code}`, OUTPUT_WIDTH),
    p.label === undefined ? '-' : JSON.stringify(p.label.value),
    p.label === undefined ? '-' : formatDuration(0, p.label.delayMs),
  ];
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 3)}...`;
}

function bucketTable(buckets: AggregateBucket[], groupBy: ('modelVersion' | 'arm')[]): string {
  const has = (key: 'predictionMean' | 'accuracy' | 'mae' | 'distribution'): boolean =>
    buckets.some((b) => b[key] !== undefined);
  const columns: [string, (b: AggregateBucket) => string][] = [
    ['START', (b) => formatTime(b.start)],
    ...(groupBy.includes('modelVersion')
      ? [
          ['VERSION', (b: AggregateBucket) => b.modelVersion ?? '-'] as [
            string,
            (b: AggregateBucket) => string,
          ],
        ]
      : []),
    ...(groupBy.includes('arm')
      ? [['ARM', (b: AggregateBucket) => b.arm ?? '-'] as [string, (b: AggregateBucket) => string]]
      : []),
    ['COUNT', (b) => String(b.count)],
    ['ERRORS', (b) => String(b.errors)],
    ['ERROR RATE', (b) => num(b.errorRate)],
    ['P50', (b) => ms(b.latencyP50)],
    ['P95', (b) => ms(b.latencyP95)],
    ['P99', (b) => ms(b.latencyP99)],
    ['LABELLED', (b) => String(b.labelled)],
    ['LABEL DELAY P50', (b) => (b.labelDelayP50 === undefined ? '-' : formatDuration(0, b.labelDelayP50))],
  ];
  if (has('predictionMean')) {
    columns.push(['MEAN', (b) => num(b.predictionMean)]);
    columns.push(['PRED P05', (b) => num(b.predictionP05)]);
    columns.push(['PRED P50', (b) => num(b.predictionP50)]);
    columns.push(['PRED P95', (b) => num(b.predictionP95)]);
  }
  if (has('distribution')) columns.push(['TOP VALUES', (b) => topValues(b)]);
  if (has('accuracy')) columns.push(['ACCURACY', (b) => num(b.accuracy)]);
  if (has('mae')) columns.push(['MAE', (b) => num(b.mae)]);
  return formatTable(
    columns.map(([header]) => header),
    buckets.map((b) => columns.map(([, cell]) => cell(b))),
  );
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${Number(value.toFixed(2))}ms`;
}

/** The three most frequent values of a bucket's distribution, with their counts. */
function topValues(b: AggregateBucket): string {
  if (b.distribution === undefined) return '-';
  const top = b.distribution.slice(0, 3).map((e) => `${e.value}:${e.count}`);
  const rest = (b.distributionOther ?? 0) + b.distribution.slice(3).reduce((sum, e) => sum + e.count, 0);
  return truncate([...top, ...(rest > 0 ? [`other:${rest}`] : [])].join(' '), OUTPUT_WIDTH);
}

function num(value: number | undefined): string {
  return value === undefined ? '-' : String(Number(value.toFixed(4)));
}

/** Commander argument parser for `--tag key:value`. */
function parseTag(raw: string): string {
  if (raw.indexOf(':') <= 0) throw new InvalidArgumentError(`Expected key:value, got '${raw}'.`);
  return raw;
}

/** Commander argument parser for `--group-by modelVersion,arm`. */
function parseGroupBy(raw: string): ('modelVersion' | 'arm')[] {
  return raw.split(',').map((key) => {
    const trimmed = key.trim();
    if (trimmed === 'modelVersion' || trimmed === 'arm') return trimmed;
    throw new InvalidArgumentError(`Expected modelVersion and/or arm, got '${trimmed}'.`);
  });
}

/** Commander argument parser for a count that may be 0. */
function parseCount(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('Expected a whole number, 0 or more.');
  }
  return value;
}
