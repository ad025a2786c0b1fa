/**
 * Batch scoring jobs end to end on a real socket: a real ONNX Runtime model from the registry, the
 * embedded job runner over SQLite, files on disk, the SDK and the CLI. Submit, follow, read the
 * output and the prediction log; refusals at submit; cancel and retry of a queued job.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient, type JobDetails } from '@slipway/sdk';
import { runSlipway } from '../helpers/cli-runner.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const WEIGHTS: [number, number] = [2, -1];
const ROWS = 5_000;

let platform: TestPlatform;
let client: SlipwayClient;
let dir: string;

/** The model's P(label 1) for a row, as the ONNX graph computes it (float32 rounding aside). */
function probability(a: number, b: number): number {
  return 1 / (1 + Math.exp(-(WEIGHTS[0] * a + WEIGHTS[1] * b)));
}

function rowAt(i: number): { id: string; a: number; b: number } {
  return { id: `r${i}`, a: ((i * 37) % 100) / 25 - 2, b: ((i * 11) % 50) / 10 - 2.5 };
}

async function writeCsv(name: string, rows: number, broken: Set<number> = new Set()): Promise<string> {
  const lines = ['id,a,b'];
  for (let i = 0; i < rows; i++) {
    const row = rowAt(i);
    lines.push(`${row.id},${broken.has(i) ? 'oops' : row.a},${row.b}`);
  }
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  dir = await mkdtemp(join(tmpdir(), 'slipway-batch-e2e-'));
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(WEIGHTS, 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  await client.models.setAlias('fraud', 'champion', '1');
});

afterAll(async () => {
  await platform?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('batch scoring through the embedded runner', () => {
  it('scores a CSV into a CSV with passthrough columns, rejects bad rows and logs every prediction', async () => {
    const input = await writeCsv('in.csv', ROWS, new Set([7, 4_321]));
    const output = join(dir, 'out.csv');
    const submitted = await client.jobs.submitBatchScore({
      model: { name: 'fraud', alias: 'champion' },
      input,
      output,
      passthrough: ['id'],
      chunkRows: 1_000,
      partitions: 2,
    });
    expect(submitted).toMatchObject({
      kind: 'batch_score',
      progress: { rowsTotal: ROWS, partitionsTotal: 2 },
    });
    expect(submitted.payload.model).toEqual({ name: 'fraud', version: '1' });
    const seen: JobDetails[] = [];
    const job = await client.jobs.wait(submitted.id, { intervalMs: 50, onProgress: (j) => seen.push(j) });
    if (job.kind !== 'batch_score') throw new Error(`unexpected kind ${job.kind}`);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.progress).toMatchObject({ rowsDone: ROWS, rowsRejected: 2, partitionsDone: 2 });
    expect(job.result).toMatchObject({ output, rows: ROWS - 2, rejected: 2, modelVersion: '1' });
    expect(job.partitions.map((p) => [p.rowStart, p.rowEnd, p.state])).toEqual([
      [0, 2_500, 'done'],
      [2_500, 5_000, 'done'],
    ]);

    const lines = (await readFile(output, 'utf8')).trim().split('\n');
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 2)).toEqual(['prediction_id', 'id']);
    expect(lines).toHaveLength(ROWS - 2 + 1);
    const idColumn = header.indexOf('id');
    const ids = lines.slice(1).map((line) => line.split(',')[idColumn]);
    const expectedIds = Array.from({ length: ROWS }, (_, i) => `r${i}`).filter(
      (id) => id !== 'r7' && id !== 'r4321',
    );
    expect(ids).toEqual(expectedIds);

    const rejects = (await readFile(job.result?.rejects ?? '', 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number; field: string });
    expect(rejects.map((r) => [r.row, r.field])).toEqual([
      [7, 'a'],
      [4_321, 'a'],
    ]);

    const page = await client.predictions.query('fraud', { limit: 1000 });
    expect(page.predictions.length).toBe(1000);
    const logged = page.predictions[0];
    expect(logged).toMatchObject({ jobId: job.id, modelName: 'fraud', modelVersion: '1', protocol: 'batch' });
    const row = logged?.input as { a: number; b: number };
    const p1 = (logged?.output as { probabilities: number[] }).probabilities[1] ?? Number.NaN;
    expect(p1).toBeCloseTo(probability(row.a, row.b), 5);

    // Batch predictions are logged under the model's name (no endpoint needed); labels join by id.
    const outputIds = lines.slice(1, 3).map((line) => line.split(',')[0]);
    expect(outputIds).toEqual([`${job.id}-0`, `${job.id}-1`]);
    const joined = await client.predictions.submitLabels('fraud', [
      { predictionId: `${job.id}-1`, label: 1 },
    ]);
    expect(joined).toEqual({ stored: 1, matched: 1, unmatched: 0 });
    await expect(client.predictions.query('no-such-model', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a job that cannot work before queueing it, naming the field', async () => {
    const input = await writeCsv('small.csv', 10);
    const existing = join(dir, 'exists.csv');
    await writeFile(existing, 'x\n');
    const refusals: [Record<string, unknown>, string, string][] = [
      [{ input: join(dir, 'missing.csv'), output: join(dir, 'o1.csv') }, 'input', 'missing'],
      [{ input, output: existing }, 'output', 'exists'],
      [{ input, output: join(dir, 'no-such-dir', 'o.csv') }, 'output', 'directory'],
      [{ input, output: 'relative.csv' }, 'output', 'absolute'],
      [{ input, output: join(dir, 'o2.csv'), passthrough: ['nope'] }, 'passthrough[0]', 'nope'],
      [{ input, output: join(dir, 'o3.txt') }, 'outputFormat', 'format'],
    ];
    for (const [fields, field, words] of refusals) {
      const error = await client.jobs
        .submitBatchScore({ model: { name: 'fraud', version: '1' }, input, output: '', ...fields } as never)
        .then(
          () => undefined,
          (err: unknown) => err as { details?: { field?: string }; message: string },
        );
      expect(error?.details?.field, JSON.stringify(fields)).toBe(field);
      expect(error?.message.toLowerCase()).toContain(words);
    }
    expect(await readFile(existing, 'utf8')).toBe('x\n');
    const jobs = await client.jobs.list({ maxResults: 100 });
    expect(jobs.jobs.every((job) => job.kind !== 'batch_score' || job.payload.output !== existing)).toBe(
      true,
    );
  });

  it('lists, shows, and reports through the CLI', async () => {
    const input = await writeCsv('cli.csv', 300);
    const output = join(dir, 'cli-out.parquet');
    const env = { SLIPWAY_URL: platform.url };
    const scored = await runSlipway(
      [
        'batch',
        'score',
        '--model',
        'fraud@champion',
        '--input',
        input,
        '--output',
        output,
        '--no-log',
        '--interval-ms',
        '50',
      ],
      env,
    );
    expect(scored.err).toContain('300/300 rows');
    expect(scored.out).toMatch(
      /^Job (job_\w+) succeeded: 300 rows scored by version 1 into .*cli-out\.parquet\.\n$/,
    );
    const id = /Job (job_\w+)/.exec(scored.out)?.[1] ?? '';
    const listed = await runSlipway(['jobs', 'list', '--state', 'succeeded'], env);
    expect(listed.out).toContain(id);
    const shown = await runSlipway(['jobs', 'show', id], env);
    expect(shown.out).toMatch(/state:\s+succeeded/);
    expect(shown.out).toMatch(/0\s+done\s+0-300\s+300\s+1/);
    const again = await runSlipway(
      ['batch', 'score', '--model', 'fraud/1', '--input', input, '--output', output],
      env,
    );
    expect(again.code).toBe(1);
    expect(again.err).toContain('error ALREADY_EXISTS (output)');
  });
});

describe('cancel and retry', () => {
  let queued: TestPlatform;
  let queuedClient: SlipwayClient;

  beforeAll(async () => {
    // No runner in this platform: jobs stay queued, so cancel and retry are seen step by step.
    queued = await startTestPlatform({ listen: true, flags: { workers: 0 } });
    queuedClient = new SlipwayClient({ url: queued.url });
    const run = await queuedClient.runs.create({ experimentId: '0' });
    const runId = run.info.runId;
    await queuedClient.artifacts.upload(
      runId,
      'model/slipway.yaml',
      new TextEncoder().encode(LOGISTIC_AB_MANIFEST),
    );
    await queuedClient.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(WEIGHTS, 0));
    await queuedClient.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  });
  afterAll(async () => {
    await queued?.close();
  });

  it('cancels a queued job at once and queues it again on retry', async () => {
    const input = await writeCsv('queued.csv', 100);
    const job = await queuedClient.jobs.submitBatchScore({
      model: { name: 'fraud', version: '1' },
      input,
      output: join(dir, 'queued.csv.out.csv'),
      logPredictions: false,
    });
    expect(job.state).toBe('queued');
    const cancelled = await queuedClient.jobs.cancel(job.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', cancelRequested: true });
    expect(cancelled.partitions.map((p) => p.state)).toEqual(['cancelled']);
    const retried = await queuedClient.jobs.retry(job.id);
    expect(retried).toMatchObject({ state: 'queued', cancelRequested: false });
    expect(retried.partitions.map((p) => [p.state, p.attempts])).toEqual([['queued', 0]]);
    await expect(queuedClient.jobs.retry(job.id)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(queuedClient.jobs.get('job_unknown')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(queuedClient.jobs.get('bad id!')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
