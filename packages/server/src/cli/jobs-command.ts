/**
 * `slipway batch score` and `slipway jobs list|show|cancel|retry`, through the SDK. `batch score`
 * submits the job to the server's job runner and follows it with a progress bar on stderr (rows
 * done, rows/s, ETA) until it ends; `--detach` prints the job id and returns at once. Relative
 * paths are made absolute here, since the workers read them.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  BATCH_FORMATS,
  JOB_KINDS,
  JOB_STATES,
  type BatchFormat,
  type BatchScorePayload,
  type JobDetails,
  type JobKind,
  type JobState,
} from '@slipway/contracts';
import { parseModelRef } from './evaluation-output.js';
import {
  addClientOptions,
  clientFor,
  collect,
  formatFields,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writeNextPageHint,
  writerOf,
  type ClientFlags,
  type Write,
} from './output.js';
import type { CliDeps } from './program.js';

interface ScoreFlags extends ClientFlags {
  model: string;
  input: string;
  output: string;
  inputFormat?: BatchFormat;
  outputFormat?: BatchFormat;
  passthrough: string[];
  overwrite?: boolean;
  rejects?: string;
  batchSize?: number;
  chunkRows?: number;
  partitions?: number;
  logEndpoint?: string;
  log: boolean;
  detach?: boolean;
  intervalMs: number;
}

interface ListFlags extends ClientFlags {
  kind?: JobKind;
  state?: JobState;
  maxResults?: number;
  pageToken?: string;
}

/** Registers `slipway batch` and `slipway jobs`. */
export function registerJobsCommands(program: Command, deps: CliDeps): void {
  registerBatchScore(
    program.command('batch').description('Batch scoring of files too large for online serving.'),
    deps,
  );
  const jobs = program.command('jobs').description('Background jobs: progress, cancel, retry.');
  addClientOptions(
    jobs
      .command('list')
      .description('List jobs, newest first')
      .addOption(new Option('--kind <kind>', 'only this kind').choices(JOB_KINDS))
      .addOption(new Option('--state <state>', 'only this state').choices(JOB_STATES))
      .option('--max-results <n>', 'page size', parsePositiveInt)
      .option('--page-token <token>', 'continue from a previous page'),
    deps,
  ).action(async (flags: ListFlags) => {
    const write = writerOf(deps);
    const page = await clientFor(flags).jobs.list(flags);
    if (flags.json) return writeJson(write, page);
    write(
      formatTable(
        ['ID', 'KIND', 'STATE', 'ROWS', 'REJECTED', 'CREATED'],
        page.jobs.map((job) => [
          job.id,
          job.kind,
          job.state,
          rowsOf(job),
          String(job.progress.rowsRejected),
          formatTime(job.createdAt),
        ]),
      ),
    );
    writeNextPageHint(write, page.nextPageToken);
  });
  addClientOptions(jobs.command('show <id>').description('Show a job with its partitions'), deps).action(
    async (id: string, flags: ClientFlags) => {
      const job = await clientFor(flags).jobs.get(id);
      const write = writerOf(deps);
      if (flags.json) writeJson(write, job);
      else write(jobDetails(job));
    },
  );
  for (const [verb, help] of [
    ['cancel', 'Cancel a job: running partitions stop at their next chunk'],
    ['retry', 'Queue a failed or cancelled job again (it resumes after its committed chunks)'],
  ] as const) {
    addClientOptions(jobs.command(`${verb} <id>`).description(help), deps).action(
      async (id: string, flags: ClientFlags) => {
        const client = clientFor(flags).jobs;
        const job = verb === 'cancel' ? await client.cancel(id) : await client.retry(id);
        const write = writerOf(deps);
        if (flags.json) writeJson(write, job);
        else
          write(
            `Job ${job.id} is ${job.state}${job.cancelRequested && job.state === 'running' ? ' (stopping)' : ''}.\n`,
          );
      },
    );
  }
}

function registerBatchScore(batch: Command, deps: CliDeps): void {
  addClientOptions(
    batch
      .command('score')
      .description('Score a CSV, JSON-lines or Parquet file with a registered model into an output file')
      .requiredOption('--model <ref>', 'model version or alias: name/3, name@champion')
      .requiredOption('--input <file>', 'input file (.csv, .jsonl or .parquet)')
      .requiredOption('--output <file>', 'output file (.csv, .jsonl or .parquet)')
      .addOption(
        new Option('--input-format <format>', 'input format (default: from the extension)').choices(
          BATCH_FORMATS,
        ),
      )
      .addOption(
        new Option('--output-format <format>', 'output format (default: from the extension)').choices(
          BATCH_FORMATS,
        ),
      )
      .option('--passthrough <column>', 'input column copied to the output (repeatable)', collect, [])
      .option('--overwrite', 'replace an existing output file')
      .option('--rejects <file>', 'rejected rows as JSON lines (default <output>.rejects.jsonl)')
      .option('--batch-size <n>', 'rows per model call (default 1024)', parsePositiveInt)
      .option(
        '--chunk-rows <n>',
        'rows per committed chunk, the unit of resume (default 65536)',
        parsePositiveInt,
      )
      .option(
        '--partitions <n>',
        'partitions workers share (default one per 1,000,000 rows)',
        parsePositiveInt,
      )
      .option(
        '--log-endpoint <name>',
        'endpoint name the predictions are logged under (default: the model name)',
      )
      .option('--no-log', 'do not log the predictions')
      .option('--detach', 'print the job id and return without waiting')
      .option('--interval-ms <ms>', 'progress poll interval', parsePositiveInt, 500),
    deps,
  ).action(async (flags: ScoreFlags) => {
    const client = clientFor(flags);
    const write = writerOf(deps);
    const submitted = await client.jobs.submitBatchScore(payloadOf(flags));
    if (flags.detach) {
      if (flags.json) writeJson(write, submitted);
      else write(`${submitted.id}\n`);
      return;
    }
    const bar = progressBar(process.stderr);
    const job = await client.jobs.wait(submitted.id, { intervalMs: flags.intervalMs, onProgress: bar.draw });
    bar.end();
    if (flags.json) writeJson(write, job);
    else write(outcomeOf(job));
    if (job.state !== 'succeeded') process.exitCode = 1;
  });
}

/** The API payload of the flags; paths absolute against this shell's directory. */
export function payloadOf(flags: ScoreFlags): BatchScorePayload {
  return {
    model: parseModelRef(flags.model, 'model'),
    input: resolve(flags.input),
    output: resolve(flags.output),
    ...(flags.inputFormat === undefined ? {} : { inputFormat: flags.inputFormat }),
    ...(flags.outputFormat === undefined ? {} : { outputFormat: flags.outputFormat }),
    ...(flags.passthrough.length === 0 ? {} : { passthrough: flags.passthrough }),
    ...(flags.overwrite ? { overwrite: true } : {}),
    ...(flags.rejects === undefined ? {} : { rejects: resolve(flags.rejects) }),
    ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
    ...(flags.chunkRows === undefined ? {} : { chunkRows: flags.chunkRows }),
    ...(flags.partitions === undefined ? {} : { partitions: flags.partitions }),
    ...(flags.logEndpoint === undefined ? {} : { logEndpoint: flags.logEndpoint }),
    ...(flags.log ? {} : { logPredictions: false }),
  };
}

/** The one line that says how a job ended. */
function outcomeOf(job: JobDetails): string {
  if (job.kind === 'monitor_run' && job.state === 'succeeded' && job.result !== undefined) {
    const r = job.result;
    return `Job ${job.id} succeeded: monitor run ${r.runId} ${r.state}, ${r.flagged} of ${r.statistics} statistics flagged.\n`;
  }
  if (job.kind === 'batch_score' && job.state === 'succeeded' && job.result !== undefined) {
    const rejects =
      job.result.rejected > 0 ? `, ${job.result.rejected} rejected (${job.result.rejects ?? ''})` : '';
    return `Job ${job.id} succeeded: ${job.result.rows} rows scored by version ${job.result.modelVersion} into ${job.result.output}${rejects}.\n`;
  }
  const why = job.error === undefined ? '' : `: ${job.error.code}: ${job.error.message}`;
  return `Job ${job.id} ${job.state}${why}. No complete output was written; \`slipway jobs retry ${job.id}\` resumes it.\n`;
}

function jobDetails(job: JobDetails): string {
  const progress = job.progress;
  const fields: [string, string][] = [
    ['id', job.id],
    ['kind', job.kind],
    ['state', job.state + (job.cancelRequested && job.state === 'running' ? ' (cancel requested)' : '')],
    ['rows', rowsOf(job)],
    ['rejected', String(progress.rowsRejected)],
    ['rate', progress.rowsPerSecond === undefined ? '-' : `${Math.round(progress.rowsPerSecond)} rows/s`],
    ['eta', progress.etaMs === undefined ? '-' : formatEta(progress.etaMs)],
    ['created', formatTime(job.createdAt)],
    ['finished', formatTime(job.finishedAt)],
  ];
  if (job.error !== undefined) fields.push(['error', `${job.error.code}: ${job.error.message}`]);
  if (job.kind === 'batch_score' && job.result !== undefined) fields.push(['output', job.result.output]);
  if (job.kind === 'monitor_run' && job.result !== undefined) fields.push(['monitor run', job.result.runId]);
  if (job.kind === 'evaluation' && job.result !== undefined) {
    fields.push(['evaluation', job.result.evaluationId]);
    const verdict = job.result.verdict;
    if (verdict !== undefined) fields.push(['gate', verdict.passed ? 'passed' : 'failed']);
  }
  if (job.kind === 'webhook_delivery') {
    fields.push(['target', new URL(job.payload.url).origin]);
    fields.push(['event', job.payload.event]);
    if (job.result !== undefined) {
      const r = job.result;
      fields.push(['delivered', `${r.statusCode} on attempt ${r.attempt} at ${formatTime(r.deliveredAt)}`]);
    }
  }
  const partitions = formatTable(
    ['PARTITION', 'STATE', 'ROWS', 'DONE', 'ATTEMPTS', 'WORKER'],
    job.partitions.map((p) => [
      String(p.index),
      p.state,
      `${p.rowStart}-${p.rowEnd}`,
      String(p.rowsDone),
      String(p.attempts),
      p.worker ?? '',
    ]),
  );
  return `${formatFields(fields)}\n${partitions}`;
}

function rowsOf(job: { progress: { rowsDone: number; rowsTotal?: number } }): string {
  const total = job.progress.rowsTotal;
  return total === undefined ? String(job.progress.rowsDone) : `${job.progress.rowsDone}/${total}`;
}

function formatEta(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** A one-line progress bar redrawn in place on a terminal (one line per update elsewhere). */
function progressBar(stream: NodeJS.WriteStream): { draw: (job: JobDetails) => void; end: () => void } {
  const write: Write = (text) => void stream.write(text);
  let drawn = false;
  return {
    draw(job) {
      const { rowsDone, rowsTotal, rowsPerSecond, etaMs } = job.progress;
      const share = rowsTotal ? Math.min(1, rowsDone / rowsTotal) : 0;
      const width = 30;
      const filled = Math.round(share * width);
      const line =
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(1)}% ` +
        `${rowsOf(job)} rows` +
        (rowsPerSecond === undefined ? '' : `, ${Math.round(rowsPerSecond)} rows/s`) +
        (etaMs === undefined ? '' : `, ETA ${formatEta(etaMs)}`) +
        ` (${job.state})`;
      if (stream.isTTY) write(`\r${line}\x1b[K`);
      else write(`${line}\n`);
      drawn = true;
    },
    end() {
      if (drawn && stream.isTTY) write('\n');
    },
  };
}
