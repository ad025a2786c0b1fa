import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferenceSession } from 'onnxruntime-node';
import { SlipwayError, type ContractField, type ModelContract } from '@slipway/contracts';
import type { InputRow, LoadedModel } from '../../src/runtimes/runtime.js';
import { loadOnnxModel } from '../../src/runtimes/onnx/onnx-model.js';
import {
  identityOnnx,
  linearRegressorOnnx,
  logisticClassifierOnnx,
  onnxModel,
} from '../helpers/onnx-models.js';

const open: LoadedModel[] = [];
// Sessions' methods live on a prototype the typings do not expose; spying there sees every session.
let sessionPrototype: InferenceSession;

beforeAll(async () => {
  const probe = await InferenceSession.create(identityOnnx('float32', ['N']));
  sessionPrototype = Object.getPrototypeOf(probe) as InferenceSession;
  await probe.release();
});

async function load(...args: Parameters<typeof loadOnnxModel>): Promise<LoadedModel> {
  const model = await loadOnnxModel(...args);
  open.push(model);
  return model;
}

afterEach(async () => {
  vi.restoreAllMocks();
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

function dot(x: readonly number[], w: readonly number[]): number {
  return x.reduce((sum, v, i) => sum + v * (w[i] ?? 0), 0);
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function columns(fields: ContractField[]): ModelContract {
  return {
    source: 'mlflow-signature',
    inputs: { kind: 'columns', fields },
    outputs: { kind: 'columns', fields: [] },
  };
}

function column(name: string, nullable = false): ContractField {
  return { name, type: 'float64', nullable };
}

const W = [0.5, -1, 2];
const B = 0.25;
const XS = [
  [1, 2, 3],
  [0, 0, 0],
  [-4.5, 7, 0.125],
];

describe('loadOnnxModel: predictions', () => {
  it('runs a linear regressor without a contract: y = x·w + b per row', async () => {
    const model = await load(linearRegressorOnnx(W, B));
    const out = await model.predict(XS.map((x) => ({ x })));
    expect(out).toHaveLength(3);
    out.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(['y']);
      const [y] = row.y as number[];
      expect(y).toBeCloseTo(dot(XS[i] ?? [], W) + B, 5);
    });
  });

  it('describes the graph as its contract when none is given', async () => {
    const model = await load(linearRegressorOnnx(W, B));
    expect(model.contract).toEqual({
      source: 'onnx',
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 3], nullable: false }] },
      outputs: { kind: 'tensors', fields: [{ name: 'y', type: 'float32', shape: [-1, 1], nullable: false }] },
    });
  });

  it('feeds a tensor contract input from the row field of its name', async () => {
    const contract: ModelContract = {
      source: 'mlflow-signature',
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 3], nullable: false }] },
      outputs: { kind: 'tensors', fields: [{ name: 'y', type: 'float32', shape: [-1, 1], nullable: false }] },
    };
    const model = await load(linearRegressorOnnx(W, B), contract);
    expect(model.contract).toBe(contract);
    const [row] = await model.predict([{ x: [1, 1, 1], ignored: 'extra fields are not read' }]);
    expect((row?.y as number[])[0]).toBeCloseTo(1.75, 5);
  });

  it('splits a classifier into int64 labels (as numbers) and per-row probability pairs', async () => {
    const w = [1.5, -2];
    const model = await load(logisticClassifierOnnx(w, 0.1));
    const xs = [
      [2, 0.5],
      [-1, 1],
    ];
    const out = await model.predict(xs.map((x) => ({ x })));
    out.forEach((row, i) => {
      const p1 = sigmoid(dot(xs[i] ?? [], w) + 0.1);
      expect(row.label).toBe(p1 > 0.5 ? 1 : 0);
      const probabilities = row.probabilities as number[];
      expect(probabilities).toHaveLength(2);
      expect(probabilities[0]).toBeCloseTo(1 - p1, 5);
      expect(probabilities[1]).toBeCloseTo(p1, 5);
    });
    expect(out.map((row) => row.label)).toEqual([1, 0]);
  });

  it('returns int64 outputs as numbers when safe and decimal strings beyond 2^53', async () => {
    const model = await load(identityOnnx('int64', ['N']));
    const out = await model.predict([
      { input: 42 },
      { input: -7 },
      { input: 9007199254740993n },
      { input: '-9223372036854775808' },
    ]);
    expect(out.map((row) => row.output)).toEqual([42, -7, '9007199254740993', '-9223372036854775808']);
  });

  it('round-trips bool, string and nested per-row tensors', async () => {
    const bools = await load(identityOnnx('bool', ['N']));
    expect(await bools.predict([{ input: true }, { input: false }])).toEqual([
      { output: true },
      { output: false },
    ]);
    const strings = await load(identityOnnx('string', ['N', 2]));
    expect(await strings.predict([{ input: ['a', 'b'] }])).toEqual([{ output: ['a', 'b'] }]);
    const grid = await load(identityOnnx('float64', ['N', 2, 2]));
    const value = [
      [1, 2],
      [3, 4],
    ];
    expect(await grid.predict([{ input: value }])).toEqual([{ output: value }]);
  });

  it('takes dynamic per-row dimensions from the first row', async () => {
    const model = await load(identityOnnx('float32', ['N', 'k']));
    expect(await model.predict([{ input: [1, 2] }, { input: [3, 4] }])).toEqual([
      { output: [1, 2] },
      { output: [3, 4] },
    ]);
    const error = await refusal(model.predict([{ input: [1, 2] }, { input: [3] }]));
    expect(error.details.field).toBe('rows[1].input');
  });

  it('returns [] for an empty batch without running the session', async () => {
    const model = await load(linearRegressorOnnx(W, B));
    const run = vi.spyOn(sessionPrototype, 'run');
    expect(await model.predict([])).toEqual([]);
    expect(run).not.toHaveBeenCalled();
  });
});

describe('loadOnnxModel: column contracts', () => {
  it('packs columns, in contract order, into the single [N, k] input', async () => {
    const model = await load(linearRegressorOnnx(W, B), columns([column('c'), column('a'), column('b')]));
    const [row] = await model.predict([{ a: 10, b: 20, c: 1 }]);
    // x = [c, a, b] = [1, 10, 20]
    expect((row?.y as number[])[0]).toBeCloseTo(dot([1, 10, 20], W) + B, 4);
  });

  it('feeds a missing nullable column to a float input as NaN', async () => {
    const model = await load(identityOnnx('float32', ['N', 2]), columns([column('a', true), column('b')]));
    const [row] = await model.predict([{ b: 2 }]);
    expect(row?.output).toEqual([Number.NaN, 2]);
  });

  it('feeds each column to the graph input of its name when the graph has several', async () => {
    const bytes = onnxModel({
      inputs: [
        { name: 'a', type: 'float32', shape: ['N', 1] },
        { name: 'b', type: 'int64', shape: ['N'] },
      ],
      outputs: [
        { name: 'ya', type: 'float32', shape: ['N', 1] },
        { name: 'yb', type: 'int64', shape: ['N'] },
      ],
      nodes: [
        { opType: 'Identity', input: ['a'], output: ['ya'] },
        { opType: 'Identity', input: ['b'], output: ['yb'] },
      ],
    });
    const contract = columns([column('b'), column('a')]);
    const model = await load(bytes, contract);
    expect(await model.predict([{ a: 1.5, b: 3 }])).toEqual([{ ya: [1.5], yb: 3 }]);
    const error = await refusal(model.predict([{ a: 1.5, b: 3.5 }]));
    expect(error.details.field).toBe('rows[0].b');
  });

  it('refuses at load a column the graph has no input for', async () => {
    const error = await refusal(
      loadOnnxModel(identityOnnx('float32', ['N', 1]), columns([column('a'), column('b')]), {
        field: 'source',
      }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('source');
  });
});

describe('loadOnnxModel: feed errors', () => {
  const rows = (x: unknown): InputRow[] => [{ x: [1, 2, 3] }, { x: [4, 5, 6] }, { x: [7, 8, 9] }, { x }];

  it.each<[string, unknown, RegExp]>([
    ['a missing input', undefined, /rows\[3\]\.x is missing/],
    ['a string for a number', [1, 'two', 3], /rows\[3\]\.x\[1\] must be a number, got string "two"/],
    ['a wrong per-row length', [1, 2], /rows\[3\]\.x must be an array of 3 values, got 2 values/],
    ['a scalar for a vector', 5, /rows\[3\]\.x must be an array of 3 values, got number 5/],
  ])('refuses %s naming the row and field', async (_, x, message) => {
    const model = await load(linearRegressorOnnx(W, B));
    const error = await refusal(model.predict(rows(x)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('rows[3].x');
    expect(error.message).toMatch(message);
  });

  it('does not run anything when one row is bad', async () => {
    const model = await load(linearRegressorOnnx(W, B));
    const run = vi.spyOn(sessionPrototype, 'run');
    await refusal(model.predict(rows('nope')));
    expect(run).not.toHaveBeenCalled();
  });

  it('allows NaN only for float inputs', async () => {
    const floats = await load(identityOnnx('float64', ['N']));
    expect(await floats.predict([{ input: Number.NaN }])).toEqual([{ output: Number.NaN }]);
    const ints = await load(identityOnnx('int32', ['N']));
    const error = await refusal(ints.predict([{ input: 1 }, { input: Number.NaN }]));
    expect(error.details.field).toBe('rows[1].input');
    expect(error.message).toMatch(/NaN is allowed only for float inputs/);
  });

  it('refuses integers out of their type range and unsafe int64 numbers', async () => {
    const bytes = await load(identityOnnx('uint8', ['N']));
    expect((await refusal(bytes.predict([{ input: 256 }]))).message).toMatch(/within \[0, 255\]/);
    const longs = await load(identityOnnx('int64', ['N']));
    expect((await refusal(longs.predict([{ input: 2 ** 60 }]))).message).toMatch(/safe integer/);
  });

  it('refuses a row that is not an object', async () => {
    const model = await load(linearRegressorOnnx(W, B));
    const error = await refusal(model.predict([{ x: [1, 2, 3] }, null as unknown as InputRow]));
    expect(error.details.field).toBe('rows[1]');
  });
});

describe('loadOnnxModel: lifecycle', () => {
  it('refuses bytes onnxruntime cannot load, naming the field', async () => {
    for (const bytes of [new Uint8Array(), new Uint8Array([1, 2, 3, 4])]) {
      const error = await refusal(loadOnnxModel(bytes, undefined, { field: 'source' }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.details.field).toBe('source');
    }
  });

  it('creates one session at load and none per predict', async () => {
    const create = vi.spyOn(InferenceSession, 'create');
    const run = vi.spyOn(sessionPrototype, 'run');
    const model = await load(linearRegressorOnnx(W, B));
    await model.predict([{ x: [1, 2, 3] }, { x: [0, 1, 0] }]);
    await model.predict([{ x: [3, 2, 1] }]);
    expect(create).toHaveBeenCalledTimes(1);
    // One run per batch, however many rows it has.
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('releases the session on close; predict afterwards is FAILED_PRECONDITION', async () => {
    const release = vi.spyOn(sessionPrototype, 'release');
    const model = await loadOnnxModel(linearRegressorOnnx(W, B));
    await model.close();
    await model.close();
    expect(release).toHaveBeenCalledTimes(1);
    const error = await refusal(model.predict([{ x: [1, 2, 3] }]));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect((await refusal(model.predict([]))).code).toBe('FAILED_PRECONDITION');
  });
});
