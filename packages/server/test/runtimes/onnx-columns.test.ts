/**
 * The ONNX model's columnar fast path (`predictColumns`) against `predict` on the same rows: the
 * same values, flat per-row vectors, the same conversions and the same refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { loadOnnxModel } from '../../src/runtimes/onnx/onnx-model.js';
import type { ColumnBatch, InputRow, LoadedModel } from '../../src/runtimes/runtime.js';
import { LOGISTIC_AB_CONTRACT, identityOnnx, logisticClassifierOnnx } from '../helpers/onnx-models.js';

const open: LoadedModel[] = [];

async function load(...args: Parameters<typeof loadOnnxModel>): Promise<LoadedModel> {
  const model = await loadOnnxModel(...args);
  open.push(model);
  return model;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((model) => model.close()));
});

async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

/** The rows as columns, keyed in the rows' key order. */
function batchOf(rows: readonly InputRow[]): ColumnBatch {
  const columns: Record<string, unknown[]> = {};
  for (const name of Object.keys(rows[0] ?? {})) columns[name] = rows.map((r) => r[name]);
  return { length: rows.length, columns };
}

function fastPath(model: LoadedModel): NonNullable<LoadedModel['predictColumns']> {
  const fast = model.predictColumns;
  expect(fast).toBeTypeOf('function');
  return (batch) => (fast as NonNullable<LoadedModel['predictColumns']>).call(model, batch);
}

const CLASSIFIER = LOGISTIC_AB_CONTRACT;

describe('OnnxModel.predictColumns', () => {
  it('packs columns into [N, k] and returns what predict returns, probabilities flat with width 2', async () => {
    const model = await load(logisticClassifierOnnx([0.8, -1.2], 0.3), CLASSIFIER);
    const rows = [
      { a: 1, b: -2 },
      { a: -1.5, b: 2 },
      { a: 0.25, b: 0.5 },
    ];
    const byRow = await model.predict(rows);
    const columns = await fastPath(model)(batchOf(rows));
    expect(Object.keys(columns)).toEqual(['label', 'probabilities']);
    expect(columns.label?.width).toBe(0);
    expect(Array.from(columns.label?.values ?? [])).toEqual(byRow.map((r) => r.label));
    expect(Array.from(columns.label?.values ?? [])).toEqual([1, 0, 0]);
    expect(columns.probabilities?.width).toBe(2);
    expect(columns.probabilities?.values).toBeInstanceOf(Float32Array);
    expect(Array.from(columns.probabilities?.values ?? [])).toEqual(byRow.flatMap((r) => r.probabilities));
  });

  it('converts int64 outputs as predict does: numbers when safe, decimal strings beyond 2^53', async () => {
    const model = await load(identityOnnx('int64', ['N']));
    const rows = [{ input: 7 }, { input: '9007199254740993' }, { input: -3 }];
    const columns = await fastPath(model)(batchOf(rows));
    expect(columns.output).toEqual({ values: [7, '9007199254740993', -3], width: 0 });
    expect((await model.predict(rows)).map((r) => r.output)).toEqual([7, '9007199254740993', -3]);
  });

  it('returns booleans for bool outputs', async () => {
    const model = await load(identityOnnx('bool', ['N']));
    const columns = await fastPath(model)(batchOf([{ input: true }, { input: false }]));
    expect(columns.output).toEqual({ values: [true, false], width: 0 });
  });

  it('refuses a value the input cannot hold exactly as predict does', async () => {
    const model = await load(identityOnnx('int32', ['N']));
    const rows = [{ input: 1 }, { input: 1.5 }];
    const slow = await refusal(model.predict(rows));
    const fast = await refusal(fastPath(model)(batchOf(rows)));
    expect(fast.code).toBe('INVALID_ARGUMENT');
    expect(fast.message).toBe(slow.message);
    expect(fast.details).toEqual(slow.details);
    expect(fast.message).toBe("rows[1].input must be an integer, got 1.5 (input 'input' is int32)");
  });

  it('is absent when an input is fed per-row arrays', async () => {
    const model = await load(identityOnnx('float64', ['N', 2]));
    expect(model.predictColumns).toBeUndefined();
  });

  it('returns no columns for an empty batch', async () => {
    const model = await load(logisticClassifierOnnx([0.8, -1.2], 0.3), CLASSIFIER);
    expect(await fastPath(model)({ length: 0, columns: { a: [], b: [] } })).toEqual({});
  });
});
