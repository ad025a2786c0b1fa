/**
 * `slipway predictions ...` and `slipway labels ...` in-process against a test platform on a real
 * socket, with a rules baseline as the endpoint's model.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  AggregateBucket,
  LabelWriteResult,
  LoggedPrediction,
  PredictionPage,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import { SlipwayClient } from '@slipway/sdk';
import { CHURN_RULES_BASELINE } from '../helpers/churn-baseline.js';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;
let workDir: string;
let ids: string[] = [];
const started = Date.now();

/** Serves rows with entity ids and a tag through the data plane. */
async function serve(tenures: number[], entityIds: (string | null)[]): Promise<string[]> {
  const res = await fetch(`${platform.url}/v1/endpoints/churn/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instances: tenures.map((tenure) => ({ tenure })),
      entity_ids: entityIds,
      tags: { source: 'app' },
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prediction_ids: string[] }).prediction_ids;
}

/** Waits for the queue's flush (about every second) to have logged `count` predictions. */
async function logged(count: number): Promise<void> {
  await expect
    .poll(async () => (await client.predictions.query('churn', { limit: 1000 })).predictions.length, {
      timeout: 10_000,
      interval: 100,
    })
    .toBe(count);
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  workDir = await mkdtemp(join(tmpdir(), 'slipway-cli-predictions-'));
  await client.baselines.create(CHURN_RULES_BASELINE);
  await client.endpoints.create({ name: 'churn', model: { name: 'churn', version: '1' } });
  ids = await serve([3, 30, 5], ['u-1', 'u-2', null]);
  // expect.poll works only inside a test: wait for the flush by hand.
  for (let waited = 0; waited < 10_000; waited += 100) {
    if ((await client.predictions.query('churn')).predictions.length === 3) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => {
  await platform.close();
  await rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function cli(args: string[]): Promise<CliResult> {
  return runSlipway(args, { SLIPWAY_URL: platform.url });
}

function json<T>(result: CliResult): T {
  expect(result.code, result.err).toBeUndefined();
  return JSON.parse(result.out) as T;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, text);
  return path;
}

describe('slipway labels import', () => {
  it('imports a CSV, typing labels, and prints the summed result', async () => {
    const path = await file(
      'labels.csv',
      [
        'prediction_id,entity_id,from,to,label',
        `${ids[0]},,,,1`,
        `,u-2,${started - 60_000},${new Date(Date.now() + 60_000).toISOString()},true`,
        'not-logged-yet,,,,"churned, later"',
        '',
      ].join('\n'),
    );
    const result = await cli(['labels', 'import', 'churn', path]);
    expect(result.code, result.err).toBeUndefined();
    expect(result.out).toContain(`Imported 3 labels from ${path} into endpoint churn.`);
    expect(result.out).toMatch(/Stored:\s+3\n/);
    expect(result.out).toMatch(/Matched:\s+2\n/);
    expect(result.out).toMatch(/Unmatched:\s+1\n/);

    const labelled = await client.predictions.query('churn', { labelled: true });
    expect(new Map(labelled.predictions.map((p) => [p.predictionId, p.label?.value]))).toEqual(
      new Map<string | undefined, unknown>([
        [ids[0], 1],
        [ids[1], true],
      ]),
    );
  });

  it('imports JSONL (types kept, or forced by --label-type) and prints --json', async () => {
    const path = await file(
      'labels.jsonl',
      `${JSON.stringify({ prediction_id: 'early-1', label: 'yes' })}\n\n${JSON.stringify({ entity_id: 'nobody', label: 0 })}\n`,
    );
    expect(json<LabelWriteResult>(await cli(['labels', 'import', 'churn', path, '--json']))).toEqual({
      stored: 2,
      matched: 0,
      unmatched: 2,
    });
    const forced = await file('forced.txt', 'prediction_id,label\nforced-1,1\nforced-2,0\n');
    expect(
      json<LabelWriteResult>(
        await cli([
          'labels',
          'import',
          'churn',
          forced,
          '--format',
          'csv',
          '--label-type',
          'string',
          '--json',
        ]),
      ),
    ).toMatchObject({ stored: 2 });
    const page = await client.predictions.unmatchedLabels('churn', { limit: 1000 });
    const values = new Map(page.labels.map((l) => [l.predictionId ?? l.entityId, l.value]));
    expect(values.get('early-1')).toBe('yes');
    expect(values.get('nobody')).toBe(0);
    expect(values.get('forced-1')).toBe('1');
  });

  it('reports every bad row with its line number and sends nothing', async () => {
    const before = (await client.predictions.unmatchedLabels('churn')).total;
    const path = await file(
      'bad.csv',
      [
        'prediction_id,entity_id,from,to,label',
        'ok-1,,,,1',
        ',,,,1',
        'p-2,,100,,0',
        ',u-9,200,100,1',
        'p-3,,,,',
        ',u-9,soon,,1',
      ].join('\n'),
    );
    const result = await cli(['labels', 'import', 'churn', path]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`error INVALID_ARGUMENT (file): ${path}: 5 bad rows, nothing was sent`);
    expect(result.err).toContain('line 3: needs exactly one of prediction_id or entity_id');
    expect(result.err).toContain('line 4: from and to bound');
    expect(result.err).toContain('line 5: to must be after from');
    expect(result.err).toContain('line 6: label is missing');
    expect(result.err).toContain('line 7: from must be milliseconds');
    expect(result.err).not.toContain('line 2:');

    const jsonl = await file(
      'bad.jsonl',
      '{"prediction_id":"ok","label":1}\n{oops\n{"prediction_id":"x","label":[1]}\n',
    );
    const bad = await cli(['labels', 'import', 'churn', jsonl]);
    expect(bad.err).toContain('2 bad rows');
    expect(bad.err).toContain('line 2: not valid JSON');
    expect(bad.err).toContain('line 3: label must be');
    const columns = await cli([
      'labels',
      'import',
      'churn',
      await file('cols.csv', 'prediction,label\na,1\n'),
    ]);
    expect(columns.err).toContain("line 1: unknown column 'prediction'");
    const typed = await cli([
      'labels',
      'import',
      'churn',
      await file('typed.csv', 'prediction_id,label\na,maybe\n'),
      '--label-type',
      'boolean',
    ]);
    expect(typed.err).toContain('line 2: label "maybe" is not true or false');
    const unknownFormat = await cli(['labels', 'import', 'churn', await file('labels.txt', 'x')]);
    expect(unknownFormat.err).toContain('error INVALID_ARGUMENT (format)');
    expect((await client.predictions.unmatchedLabels('churn')).total).toBe(before);
  });

  it('sends more than 10,000 labels in several calls and sums them', async () => {
    const rows = Array.from({ length: 10_005 }, (_, i) => `bulk-${i},${i % 3}`);
    const path = await file('bulk.csv', `prediction_id,label\n${rows.join('\n')}\n`);
    expect(json<LabelWriteResult>(await cli(['labels', 'import', 'churn', path, '--json']))).toEqual({
      stored: 10_005,
      matched: 0,
      unmatched: 10_005,
    });
  });

  it('lists unmatched labels; an unknown endpoint is NOT_FOUND', async () => {
    const table = await cli(['labels', 'unmatched', 'churn', '--limit', '2']);
    expect(table.code, table.err).toBeUndefined();
    expect(table.out).toMatch(/^RECEIVED\s+PREDICTION\s+ENTITY\s+WINDOW\s+LABEL\s+SOURCE\n/);
    expect(table.out).toMatch(/2 of \d+ unmatched labels\.\nMore results: --cursor \S+\n$/);
    const page = json<UnmatchedLabelPage>(
      await cli(['labels', 'unmatched', 'churn', '--json', '--limit', '1000']),
    );
    expect(page.labels).toHaveLength(1000);
    expect(page.total).toBeGreaterThan(10_005);
    expect(page.labels[0]).toMatchObject({ predictionId: expect.stringMatching(/^bulk-/), source: 'api' });
    const missing = await cli(['labels', 'unmatched', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('error NOT_FOUND');
  });
});

describe('slipway predictions', () => {
  it('query prints a table, filters, and --json gives the page', async () => {
    const table = await cli(['predictions', 'query', 'churn']);
    expect(table.code, table.err).toBeUndefined();
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ID\s+VERSION\s+ARM\s+ENTITY\s+OUTPUT\s+LABEL\s+DELAY$/);
    expect(lines).toHaveLength(4);
    const first = lines.find((l) => l.includes(ids[0] ?? '?')) ?? '';
    expect(first).toMatch(/\s1\s+live\s+u-1\s+\{"prediction":1\}\s+1\s+\d/);

    const labelled = json<PredictionPage>(
      await cli(['predictions', 'query', 'churn', '--labelled', '--tag', 'source:app', '--json']),
    );
    expect(labelled.predictions.map((p) => p.predictionId).sort()).toEqual([ids[0], ids[1]].sort());
    const unlabelled = json<PredictionPage>(
      await cli(['predictions', 'query', 'churn', '--unlabelled', '--json']),
    );
    expect(unlabelled.predictions.map((p) => p.predictionId)).toEqual([ids[2]]);
    const entity = json<PredictionPage>(
      await cli([
        'predictions',
        'query',
        'churn',
        '--entity',
        'u-2',
        '--model-version',
        '1',
        '--arm',
        'live',
        '--from',
        new Date(started - 60_000).toISOString(),
        '--to',
        String(Date.now() + 60_000),
        '--json',
      ]),
    );
    expect(entity.predictions.map((p) => p.predictionId)).toEqual([ids[1]]);

    const paged = await cli(['predictions', 'query', 'churn', '--limit', '2']);
    const cursor = /More results: --cursor (\S+)/.exec(paged.out)?.[1];
    expect(cursor).toBeDefined();
    const rest = json<PredictionPage>(
      await cli(['predictions', 'query', 'churn', '--cursor', cursor ?? '', '--json']),
    );
    expect(rest.predictions).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();

    expect((await cli(['predictions', 'query', 'churn', '--arm', 'shadow'])).out).toBe(
      'No predictions found.\n',
    );
    const clash = await cli(['predictions', 'query', 'churn', '--labelled', '--unlabelled']);
    expect(clash.code).toBe(1);
    expect(clash.err).toContain('cannot be used with');
    const badTime = await cli(['predictions', 'query', 'churn', '--from', 'soon']);
    expect(badTime.err).toContain('error INVALID_ARGUMENT (from)');
    expect((await cli(['predictions', 'query', 'nope'])).err).toContain('error NOT_FOUND');
  });

  it('export writes the joined log to a file by its extension, and never over an existing one', async () => {
    await logged(3);
    const out = join(workDir, 'log.csv');
    const written = await cli(['predictions', 'export', 'churn', '--out', out, '--entity', 'u-1']);
    expect(written.code, written.err).toBeUndefined();
    expect(written.out).toBe(`Wrote 1 predictions to ${out} (csv).\n`);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(ids[0]);
    const again = await cli(['predictions', 'export', 'churn', '--out', out]);
    expect(again.err).toContain('error INVALID_ARGUMENT (out)');
    const replaced = json<{ rows: number }>(
      await cli(['predictions', 'export', 'churn', '--out', out, '--overwrite', '--json']),
    );
    expect(replaced).toEqual({ rows: 3, format: 'csv', path: out });
    const parquet = join(workDir, 'log.parquet');
    expect((await cli(['predictions', 'export', 'churn', '--out', parquet])).code).toBeUndefined();
    expect((await readFile(parquet)).subarray(0, 4).toString()).toBe('PAR1');
    expect((await readdir(workDir)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('aggregate prints buckets; --json gives {buckets}', async () => {
    const window = ['--from', String(started - 3_600_000), '--to', String(Date.now() + 60_000)];
    const table = await cli([
      'predictions',
      'aggregate',
      'churn',
      ...window,
      '--bucket',
      '1d',
      '--group-by',
      'modelVersion,arm',
      '--prediction-field',
      'prediction',
    ]);
    expect(table.code, table.err).toBeUndefined();
    expect(table.out).toMatch(
      /^START\s+VERSION\s+ARM\s+COUNT\s+ERRORS\s+ERROR RATE\s+P50\s+P95\s+P99\s+LABELLED\s+LABEL DELAY P50\s+MEAN\s+PRED P05\s+PRED P50\s+PRED P95\s+ACCURACY\s+MAE\n/,
    );
    expect(table.out).toMatch(/\s1\s+live\s+3\s+0\s+0\s+\S+ms\s+\S+ms\s+\S+ms\s+2\s+/);

    const { buckets } = json<{ buckets: AggregateBucket[] }>(
      await cli(['predictions', 'aggregate', 'churn', ...window, '--bucket', '1d', '--json']),
    );
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(3);
    expect(buckets[0]).not.toHaveProperty('modelVersion');

    const missing = await cli(['predictions', 'aggregate', 'churn', '--from', '0']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("required option '--to <time>' not specified");
    const badGroup = await cli(['predictions', 'aggregate', 'churn', ...window, '--group-by', 'entity']);
    expect(badGroup.code).toBe(1);
    expect(badGroup.err).toContain('Expected modelVersion and/or arm');
  });

  it('tail prints the latest, then new predictions as they reach the log, and exits after --max', async () => {
    const out: string[] = [];
    const tail = cli([
      'predictions',
      'tail',
      'churn',
      '--last',
      '1',
      '--interval-ms',
      '100',
      '--max',
      '3',
      '--json',
    ]);
    // The latest existing prediction prints first; two served later follow once flushed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = await serve([1, 40], ['t-1', 't-2']);
    const result = await tail;
    expect(result.code, result.err).toBeUndefined();
    for (const line of result.out.trimEnd().split('\n'))
      out.push((JSON.parse(line) as LoggedPrediction).predictionId);
    expect(out).toHaveLength(3);
    expect(out.slice(1).sort()).toEqual([...fresh].sort());
    expect(fresh).not.toContain(out[0]);
  });

  it('tail --last 0 prints only new predictions, as table lines', async () => {
    await logged(5);
    const tail = cli([
      'predictions',
      'tail',
      'churn',
      '--last',
      '0',
      '--interval-ms',
      '100',
      '--max',
      '1',
      '--entity',
      't-3',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [id] = await serve([2], ['t-3']);
    const result = await tail;
    expect(result.code, result.err).toBeUndefined();
    const lines = result.out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(id);
    expect(lines[0]).toMatch(/\s1\s+live\s+t-3\s+\{"prediction":1\}\s+-\s+-$/);
  });

  it('tail stops on SIGINT', async () => {
    const tail = cli(['predictions', 'tail', 'churn', '--last', '0', '--interval-ms', '50']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.emit('SIGINT');
    const result = await tail;
    expect(result.code, result.err).toBeUndefined();
    expect(result.out).toBe('');
  });
});
