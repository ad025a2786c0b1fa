import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  SlipwayError,
  type BatchFormat,
  type BatchScorePayload,
  type JobOf,
  type JobPartition,
  type PredictionRecord,
} from '@slipway/contracts';
import {
  finalizeBatchScore,
  planBatchScore,
  scoreBatchPartition,
  type PartitionRun,
} from '../../src/jobs/batch/batch-score.js';
import type { ChunkCommit, CommittedChunk, FencedOutcome } from '../../src/jobs/job-store.js';
import { loadOnnxModel } from '../../src/runtimes/onnx/onnx-model.js';
import type { InputRow, LoadedModel, OutputRow } from '../../src/runtimes/runtime.js';
import { DuckDbBatchIo } from '../../src/storage/batch/duckdb-batch-io.js';
import { DuckDbPredictionStore } from '../../src/storage/predictions/duckdb-prediction-store.js';
import { LOGISTIC_AB_CONTRACT, logisticClassifierOnnx } from '../helpers/onnx-models.js';

const CONTRACT = LOGISTIC_AB_CONTRACT;

const JOB_ID = 'job-1';
const FORMATS: BatchFormat[] = ['csv', 'jsonl', 'parquet'];
const EXTENSIONS: Record<BatchFormat, string> = { csv: 'csv', jsonl: 'jsonl', parquet: 'parquet' };

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
  dir = await mkdtemp(join(tmpdir(), 'slipway-batch-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Row i of the standard input: id, two features exact in float32, and a name. */
function inputRow(i: number): { id: number; a: number; b: number; name: string } {
  return { id: i, a: (i % 7) * 0.5, b: (i % 5) - 2, name: `r${i}` };
}

function csvOf(rows: readonly Record<string, unknown>[]): string {
  const header = Object.keys(rows[0] ?? {});
  const lines = rows.map((r) => header.map((h) => (r[h] === null ? '' : String(r[h]))).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** Writes `rows` as `format` (Parquet through DuckDB from a CSV copy). */
async function writeInput(
  name: string,
  format: BatchFormat,
  rows: readonly Record<string, unknown>[],
): Promise<string> {
  const path = join(dir, `${name}.${EXTENSIONS[format]}`);
  if (format === 'csv') await writeFile(path, csvOf(rows));
  else if (format === 'jsonl') await writeFile(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  else {
    const csv = join(dir, `${name}.source.csv`);
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

/** Splits one CSV line, honouring double-quoted fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  fields.push(current);
  return fields;
}

/** Reads an output back as plain rows: numbers, strings, arrays. */
async function readOutput(path: string, format: BatchFormat): Promise<Record<string, unknown>[]> {
  const text = format === 'parquet' ? '' : await readFile(path, 'utf8');
  if (format === 'jsonl') {
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  if (format === 'csv') {
    const [header, ...lines] = text.trim().split('\n');
    const names = csvFields(header as string);
    return lines.map((line) => {
      const values = csvFields(line);
      return Object.fromEntries(names.map((n, i) => [n, csvValue(n, values[i] as string)]));
    });
  }
  const rows = await duck(`SELECT * FROM read_parquet('${path}')`);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
}

function csvValue(name: string, text: string): unknown {
  if (name === 'probabilities') return JSON.parse(text) as unknown;
  if (name === 'name' || name === 'prediction_id') return text;
  return Number(text);
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** What the model itself says for `rows`, as output rows with passthrough columns in front. */
async function expected(
  rows: readonly InputRow[],
  passthrough: readonly string[],
): Promise<Record<string, unknown>[]> {
  const outputs = await model.predict(rows.map((r) => ({ a: r.a, b: r.b })));
  return rows.map((r, i) => ({
    ...Object.fromEntries(passthrough.map((p) => [p, r[p]])),
    ...(outputs[i] as OutputRow),
  }));
}

/** An in-memory stand-in for the job store's fencing and chunk log. */
class FakeStore {
  readonly chunks: CommittedChunk[] = [];
  readonly tokens = new Map<number, string>();
  /** Commits to accept before answering held:false (undefined: all). */
  acceptOnly: number | undefined;
  cancelAfter: number | undefined;
  events: string[] = [];

  committed(index: number): number {
    return this.chunks.filter((c) => c.partition === index).length;
  }

  start(index: number, token: string): void {
    this.tokens.set(index, token);
    this.acceptOnly = undefined;
  }

  commitFor(index: number, token: string): (chunk: ChunkCommit) => Promise<FencedOutcome> {
    return async (chunk) => {
      this.events.push(`commit ${chunk.chunk}`);
      if (this.tokens.get(index) !== token) return { held: false, cancelRequested: false };
      if (this.acceptOnly !== undefined && this.chunks.length >= this.acceptOnly) {
        return { held: false, cancelRequested: false };
      }
      expect(chunk.chunk).toBe(this.committed(index));
      this.chunks.push({ ...chunk, partition: index });
      return {
        held: true,
        cancelRequested: this.cancelAfter !== undefined && this.chunks.length >= this.cancelAfter,
      };
    };
  }
}

function payloadFor(
  input: string,
  output: string,
  extra: Partial<BatchScorePayload> = {},
): BatchScorePayload {
  return {
    model: { name: 'churn', version: '3' },
    input,
    output,
    logPredictions: false,
    chunkRows: 4,
    batchSize: 3,
    ...extra,
  } as BatchScorePayload;
}

function partition(index: number, rowStart: number, rowEnd: number, committedChunks = 0): JobPartition {
  return {
    jobId: JOB_ID,
    index,
    state: 'running',
    rowStart,
    rowEnd,
    attempts: 1,
    committedChunks,
    rowsDone: 0,
    rowsRejected: 0,
  };
}

function jobOf(payload: BatchScorePayload): JobOf<'batch_score'> {
  return {
    id: JOB_ID,
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

interface RunOptions {
  store: FakeStore;
  token?: string;
  model?: LoadedModel;
  predictions?: PredictionRecord[][];
  /** A log that stores each chunk from its part file (instead of `predictions`' records). */
  log?: DuckDbPredictionStore;
  signal?: AbortSignal;
  clock?: () => number;
}

function runOf(payload: BatchScorePayload, part: JobPartition, options: RunOptions): PartitionRun {
  const token = options.token ?? 't1';
  options.store.tokens.set(part.index, token);
  const sink = options.predictions;
  let tick = 1000;
  return {
    jobId: JOB_ID,
    payload,
    partition: part,
    model: options.model ?? model,
    modelName: 'churn',
    modelVersion: '3',
    token,
    ...(sink
      ? {
          predictions: {
            write: async (records: readonly PredictionRecord[]) => {
              options.store.events.push(`log ${records.length}`);
              sink.push([...records]);
            },
          },
        }
      : {}),
    ...(options.log ? { predictions: partLog(options.store, options.log) } : {}),
    commit: options.store.commitFor(part.index, token),
    now: options.clock ?? (() => (tick += 5)),
    signal: options.signal ?? new AbortController().signal,
  };
}

/** A log sink that imports each part file into a real DuckDB prediction store. */
function partLog(store: FakeStore, log: DuckDbPredictionStore): NonNullable<PartitionRun['predictions']> {
  return {
    write: () => Promise.reject(new Error('a log that imports parts is never sent records')),
    importPart: async (part) => {
      store.events.push(`import ${part.rows}`);
      await log.importPart(part);
    },
  };
}

/** Plans, scores every partition in order and finalizes. */
async function scoreAll(payload: BatchScorePayload, store = new FakeStore()) {
  const plan = await planBatchScore(payload, CONTRACT, io);
  for (const [index, range] of plan.ranges.entries()) {
    const outcome = await scoreBatchPartition(
      runOf(payload, partition(index, range.rowStart, range.rowEnd), { store }),
      io,
    );
    expect(outcome).toBe('done');
  }
  const result = await finalizeBatchScore(jobOf(payload), store.chunks, '3', io);
  return { plan, store, result };
}

async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

const ROWS = Array.from({ length: 10 }, (_, i) => inputRow(i));

describe('batch scoring: formats', () => {
  for (const inputFormat of FORMATS) {
    for (const outputFormat of FORMATS) {
      it(`scores ${inputFormat} into ${outputFormat} with passthrough columns, values exact`, async () => {
        const input = await writeInput('in', inputFormat, ROWS);
        const output = join(dir, `out.${EXTENSIONS[outputFormat]}`);
        const payload = payloadFor(input, output, { passthrough: ['name', 'id'] });
        const { plan, store, result } = await scoreAll(payload);
        expect(plan).toEqual({
          rowsTotal: 10,
          ranges: [{ rowStart: 0, rowEnd: 10 }],
          inputFormat,
          outputFormat,
        });
        expect(store.chunks.map((c) => [c.chunk, c.rows, c.rejected])).toEqual([
          [0, 4, 0],
          [1, 4, 0],
          [2, 2, 0],
        ]);
        expect(result).toEqual({ output, rows: 10, rejected: 0, modelVersion: '3' });
        const rows = await readOutput(output, outputFormat);
        expect(rows).toEqual(await expected(ROWS, ['name', 'id']));
        expect(Object.keys(rows[0] as object)).toEqual(['name', 'id', 'label', 'probabilities']);
        // The part files are gone, and nothing partial is left beside the output.
        expect(await readdir(dir)).not.toContain(`out.${EXTENSIONS[outputFormat]}.parts`);
        expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
      });
    }
  }

  it('derives the label from the model: a row with a high b is class 0, a high a class 1', async () => {
    const input = await writeInput('in', 'jsonl', [
      { a: 3, b: -2 },
      { a: 0, b: 2 },
    ]);
    const output = join(dir, 'out.jsonl');
    await scoreAll(payloadFor(input, output));
    const rows = await readOutput(output, 'jsonl');
    expect(rows.map((r) => r.label)).toEqual([1, 0]);
  });
});

describe('batch scoring: logging', () => {
  it('writes prediction ids and logs every row before its chunk is committed', async () => {
    const input = await writeInput('in', 'csv', ROWS.slice(0, 6));
    const output = join(dir, 'out.jsonl');
    const payload = payloadFor(input, output, {
      logPredictions: true,
      passthrough: ['id'],
      logEndpoint: 'churn-batch',
    });
    const store = new FakeStore();
    const logged: PredictionRecord[][] = [];
    await planBatchScore(payload, CONTRACT, io);
    let tick = 1000;
    const run = runOf(payload, partition(0, 0, 6), { store, predictions: logged, clock: () => (tick += 5) });
    expect(await scoreBatchPartition(run, io)).toBe('done');
    expect(store.events).toEqual(['log 4', 'commit 0', 'log 2', 'commit 1']);
    await finalizeBatchScore(jobOf(payload), store.chunks, '3', io);
    const rows = await readOutput(output, 'jsonl');
    expect(rows.map((r) => r.prediction_id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${JOB_ID}-${i}`));
    expect(Object.keys(rows[0] as object)).toEqual(['prediction_id', 'id', 'label', 'probabilities']);
    const records = logged.flat();
    const outputs = await model.predict(ROWS.slice(0, 6).map((r) => ({ a: r.a, b: r.b })));
    expect(records[4]).toEqual({
      predictionId: `${JOB_ID}-4`,
      endpoint: 'churn-batch',
      modelName: 'churn',
      modelVersion: '3',
      arm: 'live',
      protocol: 'batch',
      // Batch 2 (rows 3..3 of chunk 0 end at row 3; row 4 opens chunk 1): its call started at tick 1025.
      timestamp: records[4]?.timestamp,
      latencyMs: 5,
      requestId: JOB_ID,
      input: { a: 2, b: 2, id: 4 },
      output: outputs[4],
      jobId: JOB_ID,
    });
    // Four model calls (3 + 1 rows in chunk 0, 2 in chunk 1), each reading the clock twice.
    expect(records.map((r) => r.timestamp)).toEqual([1005, 1005, 1005, 1015, 1025, 1025]);
  });
});

describe('batch scoring: logging from part files', () => {
  it('stores the same predictions as the record path, with rejects, and keeps log columns out of the output', async () => {
    const rows: Record<string, unknown>[] = ROWS.map((r) => ({ ...r }));
    (rows[2] as Record<string, unknown>).a = null;
    const input = await writeInput('in', 'csv', rows);
    const options = { logPredictions: true, passthrough: ['id'], logEndpoint: 'churn-batch' };
    const viaRecords = payloadFor(input, join(dir, 'records.jsonl'), options);
    const logged: PredictionRecord[][] = [];
    let tick = 1000;
    const recordStore = new FakeStore();
    const clock = (): number => (tick += 5);
    await scoreBatchPartition(
      runOf(viaRecords, partition(0, 0, 10), { store: recordStore, predictions: logged, clock }),
      io,
    );

    const viaParts = payloadFor(input, join(dir, 'parts.jsonl'), options);
    const log = await DuckDbPredictionStore.open(':memory:');
    try {
      tick = 1000;
      const store = new FakeStore();
      const run = runOf(viaParts, partition(0, 0, 10), { store, log, clock });
      expect(await scoreBatchPartition(run, io)).toBe('done');
      expect(store.events).toEqual(['import 3', 'commit 0', 'import 4', 'commit 1', 'import 2', 'commit 2']);
      await finalizeBatchScore(jobOf(viaParts), store.chunks, '3', io);
      const output = await readOutput(viaParts.output, 'jsonl');
      expect(Object.keys(output[0] as object)).toEqual(['prediction_id', 'id', 'label', 'probabilities']);
      expect(output.map((r) => r.prediction_id)).toEqual(
        [0, 1, 3, 4, 5, 6, 7, 8, 9].map((i) => `${JOB_ID}-${i}`),
      );
      const page = await log.queryPredictions({ endpoint: 'churn-batch', limit: 100 });
      const stored = page.predictions.sort((x, y) => x.predictionId.localeCompare(y.predictionId));
      const expected = logged.flat().sort((x, y) => x.predictionId.localeCompare(y.predictionId));
      expect(expected).toHaveLength(9);
      expect(stored).toEqual(expected);
    } finally {
      await log.close();
    }
  });

  it('stores nothing of a part whose row count is not the one announced', async () => {
    const input = await writeInput('in', 'parquet', ROWS.slice(0, 4));
    const payload = payloadFor(input, join(dir, 'out.jsonl'), { logPredictions: true, chunkRows: 10 });
    const log = await DuckDbPredictionStore.open(':memory:');
    try {
      const store = new FakeStore();
      const run = runOf(payload, partition(0, 0, 4), { store, log });
      const sink = run.predictions as NonNullable<PartitionRun['predictions']>;
      run.predictions = {
        write: sink.write,
        importPart: (part) => log.importPart({ ...part, rows: part.rows + 1 }),
      };
      await expect(scoreBatchPartition(run, io)).rejects.toThrow(/holds 4 predictions, expected 5/);
      expect(store.chunks).toEqual([]);
      const page = await log.queryPredictions({ endpoint: 'churn', limit: 100 });
      expect(page.predictions).toEqual([]);
    } finally {
      await log.close();
    }
  });
});

describe('batch scoring: rejects', () => {
  it('rejects rows the contract refuses, with reasons, and scores the rest', async () => {
    const rows: Record<string, unknown>[] = ROWS.map((r) => ({ ...r }));
    (rows[2] as Record<string, unknown>).a = null;
    (rows[7] as Record<string, unknown>).b = null;
    const input = await writeInput('in', 'csv', rows);
    const output = join(dir, 'out.csv');
    const payload = payloadFor(input, output, { passthrough: ['id'] });
    const { store, result } = await scoreAll(payload);
    const rejects = `${output}.rejects.jsonl`;
    expect(result).toEqual({ output, rows: 8, rejected: 2, rejects, modelVersion: '3' });
    expect(store.chunks.map((c) => [c.rows, c.rejected])).toEqual([
      [4, 1],
      [4, 1],
      [2, 0],
    ]);
    const lines = (await readFile(rejects, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      {
        row: 2,
        field: 'a',
        reason: "a is missing; 'a' is a required float32 input",
        input: { a: null, b: 0, id: 2 },
      },
      {
        row: 7,
        field: 'b',
        reason: "b is missing; 'b' is a required float32 input",
        input: { a: 0, b: null, id: 7 },
      },
    ]);
    const kept = ROWS.filter((r) => r.id !== 2 && r.id !== 7);
    expect(await readOutput(output, 'csv')).toEqual(await expected(kept, ['id']));
  });

  it('rejects every row of a column of the wrong type', async () => {
    const rows = ROWS.slice(0, 3).map((r) => ({ ...r, b: `x${r.id}` }));
    const input = await writeInput('in', 'parquet', rows);
    const output = join(dir, 'out.parquet');
    const { result } = await scoreAll(payloadFor(input, output));
    expect(result).toMatchObject({ rows: 0, rejected: 3 });
    const lines = (await readFile(result.rejects as string, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { row: number; field: string; reason: string });
    expect(lines.map((l) => [l.row, l.field, l.reason])).toEqual([
      [0, 'b', 'b must be a finite float32 number, got string "x0"'],
      [1, 'b', 'b must be a finite float32 number, got string "x1"'],
      [2, 'b', 'b must be a finite float32 number, got string "x2"'],
    ]);
    expect(await readOutput(output, 'parquet')).toEqual([]);
  });
});

describe('batch scoring: partitions and resume', () => {
  it('splits rows into the requested partitions and finalizes them in order whatever order they ran in', async () => {
    const input = await writeInput('in', 'parquet', ROWS);
    const output = join(dir, 'out.jsonl');
    const payload = payloadFor(input, output, { partitions: 3, passthrough: ['id'] });
    const plan = await planBatchScore(payload, CONTRACT, io);
    expect(plan.ranges).toEqual([
      { rowStart: 0, rowEnd: 4 },
      { rowStart: 4, rowEnd: 7 },
      { rowStart: 7, rowEnd: 10 },
    ]);
    const store = new FakeStore();
    for (const index of [2, 0, 1]) {
      const range = plan.ranges[index] as { rowStart: number; rowEnd: number };
      await scoreBatchPartition(
        runOf(payload, partition(index, range.rowStart, range.rowEnd), { store, token: `t${index}` }),
        io,
      );
    }
    const chunks = [...store.chunks].sort((a, b) => a.partition - b.partition || a.chunk - b.chunk);
    const result = await finalizeBatchScore(jobOf(payload), chunks, '3', io);
    expect(result.rows).toBe(10);
    expect((await readOutput(output, 'jsonl')).map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('defaults to one partition per million rows', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const plan = await planBatchScore(
      payloadFor(input, join(dir, 'o.csv'), { partitions: undefined }),
      CONTRACT,
      io,
    );
    expect(plan.ranges).toEqual([{ rowStart: 0, rowEnd: 10 }]);
  });

  it('resumes a stopped partition at its committed chunks: every row exactly once, in order', async () => {
    const input = await writeInput('in', 'parquet', ROWS);
    const output = join(dir, 'out.csv');
    const payload = payloadFor(input, output, { passthrough: ['id'] });
    await planBatchScore(payload, CONTRACT, io);
    const store = new FakeStore();
    store.acceptOnly = 1;
    const first = await scoreBatchPartition(runOf(payload, partition(0, 0, 10), { store, token: 'old' }), io);
    expect(first).toBe('stopped');
    expect(store.chunks.map((c) => c.chunk)).toEqual([0]);
    store.start(0, 'new');
    const resumed = partition(0, 0, 10, store.committed(0));
    expect(await scoreBatchPartition(runOf(payload, resumed, { store, token: 'new' }), io)).toBe('done');
    expect(store.chunks.map((c) => [c.chunk, c.file.endsWith('-old.parquet')])).toEqual([
      [0, true],
      [1, false],
      [2, false],
    ]);
    const result = await finalizeBatchScore(jobOf(payload), store.chunks, '3', io);
    expect(result.rows).toBe(10);
    expect(await readOutput(output, 'csv')).toEqual(await expected(ROWS, ['id']));
    // The stale attempt's uncommitted part went with the parts directory.
    expect(await readdir(dir)).toEqual(['in.parquet', 'in.source.csv', 'out.csv']);
  });

  it('a partition with every chunk committed is done at once', async () => {
    const input = await writeInput('in', 'jsonl', ROWS);
    const payload = payloadFor(input, join(dir, 'o.jsonl'));
    const store = new FakeStore();
    expect(await scoreBatchPartition(runOf(payload, partition(0, 0, 10, 3), { store }), io)).toBe('done');
    expect(store.events).toEqual([]);
  });

  it('stops at the chunk boundary when a commit reports a cancel request', async () => {
    const input = await writeInput('in', 'jsonl', ROWS);
    const payload = payloadFor(input, join(dir, 'o.jsonl'));
    const store = new FakeStore();
    store.cancelAfter = 2;
    expect(await scoreBatchPartition(runOf(payload, partition(0, 0, 10), { store }), io)).toBe('stopped');
    expect(store.chunks.map((c) => c.chunk)).toEqual([0, 1]);
  });
});

describe('batch scoring: failures', () => {
  it('propagates a model failure; the chunks committed before it stay', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const payload = payloadFor(input, join(dir, 'o.csv'));
    let calls = 0;
    const failing: LoadedModel = {
      contract: CONTRACT,
      predict: async (rows) => {
        calls++;
        if (calls === 3) throw new Error('session exploded');
        return model.predict(rows);
      },
      close: async () => undefined,
    };
    const store = new FakeStore();
    const error = await scoreBatchPartition(
      runOf(payload, partition(0, 0, 10), { store, model: failing }),
      io,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('session exploded');
    // Calls: rows 0-2, row 3 (chunk 0 committed), rows 4-6 fail.
    expect(store.chunks.map((c) => c.chunk)).toEqual([0]);
  });

  it('stops at once when the signal is aborted and commits nothing more', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const payload = payloadFor(input, join(dir, 'o.csv'));
    const store = new FakeStore();
    const controller = new AbortController();
    const run = runOf(payload, partition(0, 0, 10), { store, signal: controller.signal });
    const commit = run.commit;
    run.commit = async (chunk) => {
      const outcome = await commit(chunk);
      controller.abort();
      return outcome;
    };
    expect(await scoreBatchPartition(run, io)).toBe('stopped');
    expect(store.chunks.map((c) => c.chunk)).toEqual([0]);
    const aborted = AbortSignal.abort();
    expect(
      await scoreBatchPartition(runOf(payload, partition(0, 0, 10, 1), { store, signal: aborted }), io),
    ).toBe('stopped');
    expect(store.chunks.map((c) => c.chunk)).toEqual([0]);
  });
});

describe('batch scoring: plan refusals', () => {
  it('refuses a missing input as NOT_FOUND naming input', async () => {
    const error = await refusal(
      planBatchScore(payloadFor(join(dir, 'nope.csv'), join(dir, 'o.csv')), CONTRACT, io),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.details).toMatchObject({ field: 'input' });
    expect(error.message).toContain('nope.csv');
  });

  it('refuses garbage bytes as Parquet, naming the file', async () => {
    const input = join(dir, 'bad.parquet');
    await writeFile(input, 'this is not parquet at all, just bytes');
    const error = await refusal(planBatchScore(payloadFor(input, join(dir, 'o.csv')), CONTRACT, io));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ field: 'input' });
    expect(error.message).toMatch(/^Input 'bad\.parquet' is not readable as parquet: /);
  });

  it('refuses a ragged CSV, naming the file and the line', async () => {
    const input = join(dir, 'ragged.csv');
    await writeFile(input, 'a,b\n1,2\n3,4\n5,6,7\n8,9\n');
    const error = await refusal(planBatchScore(payloadFor(input, join(dir, 'o.csv')), CONTRACT, io));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ field: 'input' });
    expect(error.message).toMatch(
      /^Input 'ragged\.csv' is not readable as csv: CSV Error on Line: 4; Expected Number of Columns: 2 Found: 3$/,
    );
  });

  it('names the line of a ragged row past the part of the file DuckDB samples', async () => {
    const input = join(dir, 'long.csv');
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i},${i}`);
    lines.splice(25_000, 0, '1,2,3');
    await writeFile(input, `a,b\n${lines.join('\n')}\n`);
    const error = await refusal(planBatchScore(payloadFor(input, join(dir, 'o.csv')), CONTRACT, io));
    expect(error.details).toMatchObject({ field: 'input' });
    expect(error.message).toBe(
      "Input 'long.csv' is not readable as csv: Invalid Input Error: CSV Error on Line: 25002; Expected Number of Columns: 2 Found: 3",
    );
  });

  it('refuses an input lacking a contract column, naming it', async () => {
    const input = await writeInput(
      'in',
      'csv',
      ROWS.map((r) => ({ id: r.id, a: r.a })),
    );
    const error = await refusal(planBatchScore(payloadFor(input, join(dir, 'o.csv')), CONTRACT, io));
    expect(error.details).toMatchObject({ field: 'input', column: 'b' });
    expect(error.message).toContain("no column 'b'");
  });

  it('refuses an unknown passthrough column, naming its index', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const payload = payloadFor(input, join(dir, 'o.csv'), { passthrough: ['id', 'nope'] });
    const error = await refusal(planBatchScore(payload, CONTRACT, io));
    expect(error.details).toMatchObject({ field: 'passthrough[1]' });
  });

  it('refuses an existing output unless overwrite is set', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const output = join(dir, 'out.csv');
    await writeFile(output, 'old');
    const error = await refusal(planBatchScore(payloadFor(input, output), CONTRACT, io));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.details).toMatchObject({ field: 'output' });
    const { result } = await scoreAll(payloadFor(input, output, { overwrite: true }));
    expect(result.rows).toBe(10);
    expect((await readOutput(output, 'csv')).length).toBe(10);
  });

  it('refuses an output directory that does not exist', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const error = await refusal(
      planBatchScore(payloadFor(input, join(dir, 'missing', 'o.csv')), CONTRACT, io),
    );
    expect(error.details).toMatchObject({ field: 'output' });
  });

  it('refuses files whose format the extension does not tell, unless given', async () => {
    const input = await writeInput('in', 'csv', ROWS);
    const error = await refusal(planBatchScore(payloadFor(input, join(dir, 'o.out')), CONTRACT, io));
    expect(error.details).toMatchObject({ field: 'outputFormat' });
    const plan = await planBatchScore(
      payloadFor(input, join(dir, 'o.out'), { outputFormat: 'jsonl' }),
      CONTRACT,
      io,
    );
    expect(plan.outputFormat).toBe('jsonl');
    const ndjson = await planBatchScore(payloadFor(input, join(dir, 'o.NDJSON')), CONTRACT, io);
    expect(ndjson.outputFormat).toBe('jsonl');
  });
});
