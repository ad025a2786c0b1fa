/**
 * The columnar fast path of batch scoring (a model with `predictColumns`, logging off) against
 * the row path (the same model with `predictColumns` hidden): byte-identical outputs and rejects,
 * in every input and output format, with and without refused values.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import type {
  BatchFormat,
  BatchScorePayload,
  BatchScoreResult,
  JobOf,
  JobPartition,
  ModelContract,
} from '@slipway/contracts';
import { finalizeBatchScore, planBatchScore, scoreBatchPartition } from '../../src/jobs/batch/batch-score.js';
import type { ChunkCommit, CommittedChunk, FencedOutcome } from '../../src/jobs/job-store.js';
import { loadOnnxModel } from '../../src/runtimes/onnx/onnx-model.js';
import type { ColumnBatch, LoadedModel } from '../../src/runtimes/runtime.js';
import { DuckDbBatchIo } from '../../src/storage/batch/duckdb-batch-io.js';
import { LOGISTIC_AB_CONTRACT, logisticClassifierOnnx } from '../helpers/onnx-models.js';

const CONTRACT = LOGISTIC_AB_CONTRACT;

const FORMATS: BatchFormat[] = ['csv', 'jsonl', 'parquet'];

let model: LoadedModel;
let io: DuckDbBatchIo;
let dir: string;

beforeAll(async () => {
  model = await loadOnnxModel(logisticClassifierOnnx([0.8, -1.2], 0.3), CONTRACT);
  io = new DuckDbBatchIo({ threads: 2 });
});

afterAll(async () => {
  await model.close();
  await io.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-batch-columnar-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The model with its fast path hidden: batch scoring then takes the row path. */
function rowsOnly(inner: LoadedModel): LoadedModel {
  return {
    contract: inner.contract as ModelContract,
    predict: (rows) => inner.predict(rows),
    close: async () => undefined,
  };
}

/** The model with its fast path kept, counting the rows it scores column-wise. */
function counting(inner: LoadedModel): { model: LoadedModel; columnRows: () => number } {
  let rows = 0;
  const fast = inner.predictColumns as NonNullable<LoadedModel['predictColumns']>;
  return {
    model: {
      contract: inner.contract as ModelContract,
      predict: (input) => inner.predict(input),
      predictColumns: (batch: ColumnBatch) => {
        rows += batch.length;
        return fast.call(inner, batch);
      },
      close: async () => undefined,
    },
    columnRows: () => rows,
  };
}

/** Row i: an id, two features exact in float32 and a name. */
function inputRow(i: number): Record<string, unknown> {
  return { id: i, a: (i % 7) * 0.5 - 1, b: (i % 5) - 2.25, name: `r${i}` };
}

function csvOf(rows: readonly Record<string, unknown>[]): string {
  const header = Object.keys(rows[0] ?? {});
  const lines = rows.map((r) => header.map((h) => (r[h] === null ? '' : String(r[h]))).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

async function writeInput(format: BatchFormat, rows: readonly Record<string, unknown>[]): Promise<string> {
  const path = join(dir, `in.${format}`);
  if (format === 'csv') await writeFile(path, csvOf(rows));
  else if (format === 'jsonl') await writeFile(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  else {
    const csv = join(dir, 'in.source.csv');
    await writeFile(csv, csvOf(rows));
    await duck(`COPY (SELECT * FROM read_csv('${csv}', header = true)) TO '${path}' (FORMAT parquet)`);
  }
  return path;
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** An output as comparable text: the file itself, or for Parquet its rows as JSON. */
async function outputText(path: string, format: BatchFormat): Promise<string> {
  if (format !== 'parquet') return readFile(path, 'utf8');
  const rows = await duck(`SELECT * FROM read_parquet('${path}')`);
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}

function partition(rowStart: number, rowEnd: number): JobPartition {
  return {
    jobId: 'job-1',
    index: 0,
    state: 'running',
    rowStart,
    rowEnd,
    attempts: 1,
    committedChunks: 0,
    rowsDone: 0,
    rowsRejected: 0,
  };
}

function jobOf(payload: BatchScorePayload): JobOf<'batch_score'> {
  return {
    id: 'job-1',
    kind: 'batch_score',
    state: 'running',
    payload,
    createdAt: 0,
    updatedAt: 0,
    maxAttempts: 3,
    cancelRequested: false,
    progress: { rowsDone: 0, rowsRejected: 0, partitionsTotal: 1, partitionsDone: 0 },
  };
}

interface Scored {
  result: BatchScoreResult;
  chunks: [number, number][];
  output: string;
  rejects: string | undefined;
}

/** Scores `input` into `name.<format>` with `scorer` in one partition, then finalizes. */
async function score(
  scorer: LoadedModel,
  input: string,
  name: string,
  outputFormat: BatchFormat,
  extra: Partial<BatchScorePayload> = {},
): Promise<Scored> {
  const output = join(dir, `${name}.${outputFormat}`);
  const payload = {
    model: { name: 'churn', version: '3' },
    input,
    output,
    logPredictions: false,
    chunkRows: 5,
    batchSize: 3,
    passthrough: ['id', 'name'],
    ...extra,
  } as BatchScorePayload;
  const plan = await planBatchScore(payload, CONTRACT, io);
  const chunks: CommittedChunk[] = [];
  const range = plan.ranges[0] as { rowStart: number; rowEnd: number };
  const outcome = await scoreBatchPartition(
    {
      jobId: 'job-1',
      payload,
      partition: partition(range.rowStart, range.rowEnd),
      model: scorer,
      modelName: 'churn',
      modelVersion: '3',
      token: 't1',
      commit: async (chunk: ChunkCommit): Promise<FencedOutcome> => {
        chunks.push({ ...chunk, partition: 0 });
        return { held: true, cancelRequested: false };
      },
      now: () => 0,
      signal: new AbortController().signal,
    },
    io,
  );
  expect(outcome).toBe('done');
  const result = await finalizeBatchScore(jobOf(payload), chunks, '3', io);
  return {
    result,
    chunks: chunks.map((c) => [c.rows, c.rejected]),
    output: await outputText(output, outputFormat),
    rejects: result.rejects === undefined ? undefined : await readFile(result.rejects, 'utf8'),
  };
}

/** Scores the same input both ways and checks the two runs agree byte for byte. */
async function bothWays(
  input: string,
  outputFormat: BatchFormat,
): Promise<{ fast: Scored; columnRows: number }> {
  const counted = counting(model);
  const fast = await score(counted.model, input, 'fast', outputFormat);
  const slow = await score(rowsOnly(model), input, 'slow', outputFormat);
  expect(fast.output).toBe(slow.output);
  expect(fast.rejects).toBe(slow.rejects);
  expect(fast.chunks).toEqual(slow.chunks);
  expect({ ...fast.result, output: '', rejects: '' }).toEqual({ ...slow.result, output: '', rejects: '' });
  return { fast, columnRows: counted.columnRows() };
}

const ROWS = Array.from({ length: 13 }, (_, i) => inputRow(i));

describe('batch scoring: the columnar path', () => {
  for (const inputFormat of FORMATS) {
    for (const outputFormat of FORMATS) {
      it(`scores ${inputFormat} into ${outputFormat} exactly as the row path does`, async () => {
        const input = await writeInput(inputFormat, ROWS);
        const { fast, columnRows } = await bothWays(input, outputFormat);
        // Every row went through predictColumns: 13 rows, no batch fell back.
        expect(columnRows).toBe(13);
        expect(fast.result.rows).toBe(13);
        expect(fast.chunks).toEqual([
          [5, 0],
          [5, 0],
          [3, 0],
        ]);
      });
    }
  }

  for (const inputFormat of FORMATS) {
    it(`falls back to rows for a ${inputFormat} batch with a refused value and rejects exactly as before`, async () => {
      const rows = ROWS.map((r) => ({ ...r }));
      (rows[4] as Record<string, unknown>).a = null;
      (rows[10] as Record<string, unknown>).b = inputFormat === 'parquet' ? null : 'oops';
      const input = await writeInput(inputFormat, rows);
      const { fast, columnRows } = await bothWays(input, 'jsonl');
      // Batches are rows 0-2, 3-4 | 5, 6-8, 9 | 10-11, 12: the ones holding rows 4 and 10 fall back.
      // In CSV the text in b types the whole column as text, still numeric text but row 10's.
      expect(columnRows).toBe(13 - 2 - 2);
      expect(fast.result).toMatchObject({ rows: 11, rejected: 2 });
      const lines = (fast.rejects ?? '')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { row: number; field: string; reason: string });
      // DuckDB's JSON reader keeps a string's quotes when a column mixes numbers and strings.
      const bad = {
        csv: 'b must be a finite float32 number, got string "oops"',
        jsonl: 'b must be a finite float32 number, got string "\\"oops\\""',
        parquet: "b is missing; 'b' is a required float32 input",
      }[inputFormat];
      expect(lines.map((l) => [l.row, l.field, l.reason])).toEqual([
        [4, 'a', "a is missing; 'a' is a required float32 input"],
        [10, 'b', bad],
      ]);
    });
  }

  it('writes parts of several DuckDB vectors exactly: strings, nulls and flat lists past 2,048 rows', async () => {
    const rows = Array.from({ length: 4500 }, (_, i): Record<string, unknown> => ({
      ...inputRow(i),
      note: i % 3 === 0 ? null : `n${i}`,
    }));
    const input = await writeInput('jsonl', rows);
    const options = { chunkRows: 5000, batchSize: 1024, passthrough: ['id', 'name', 'note'] };
    const fast = await score(model, input, 'fast', 'jsonl', options);
    const outputs = await model.predict(rows.map((r) => ({ a: r.a, b: r.b })));
    const lines = fast.output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(rows.map((r, i) => ({ id: r.id, name: r.name, note: r.note, ...outputs[i] })));
  });

  it('keeps part column types whether numbers go as raw doubles or value by value', async () => {
    const rows = 4100;
    const part = join(dir, 'types.parquet');
    const whole = Array.from({ length: rows }, (_, i) => i * 3);
    const withNull = whole.map((v, i) => (i === 4000 ? null : v));
    const big = whole.map((v, i) => (i === 1 ? '9007199254740993' : v));
    const fractions = whole.map((v) => v / 8);
    await io.writePart(
      part,
      [
        { name: 'whole', kind: 'integer', values: whole },
        { name: 'with_null', kind: 'integer', values: withNull },
        { name: 'big', kind: 'integer', values: big },
        { name: 'fractions', kind: 'double', values: fractions },
      ],
      rows,
    );
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const read = await connection.runAndReadAll(
        `SELECT typeof(whole), typeof(with_null), typeof(big), typeof(fractions), sum(whole), count(with_null),
           max(big)::VARCHAR, sum(fractions) FROM read_parquet('${part}') GROUP BY ALL`,
      );
      const total = whole.reduce((a, b) => a + b, 0);
      expect(read.getRowsJson()).toEqual([
        [
          'BIGINT',
          'BIGINT',
          'BIGINT',
          'DOUBLE',
          String(total),
          String(rows - 1),
          '9007199254740993',
          total / 8,
        ],
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('writes each row of a flat probabilities column to its own row, values as the model gives them', async () => {
    const input = await writeInput('csv', ROWS.slice(0, 2));
    const { fast } = await bothWays(input, 'jsonl');
    const expected = await model.predict([
      { a: -1, b: -2.25 },
      { a: -0.5, b: -1.25 },
    ]);
    const lines = fast.output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { id: 0, name: 'r0', ...expected[0] },
      { id: 1, name: 'r1', ...expected[1] },
    ]);
  });
});
