import { describe, expect, it } from 'vitest';
import type { ContractField, ModelContract } from '@slipway/contracts';
import {
  decodeMlflowRequest,
  encodeMlflowResponse,
  mlflowBodyKind,
} from '../../src/serving/protocols/mlflow-invocations.js';
import { compileRowValidator } from '../../src/serving/validate-rows.js';
import { refusedField } from '../helpers/refusal.js';

function field(name: string, type: ContractField['type'], extra: Partial<ContractField> = {}): ContractField {
  return { name, type, nullable: false, ...extra };
}

const tabular: ModelContract = {
  inputs: { kind: 'columns', fields: [field('a', 'float64'), field('b', 'string')] },
  outputs: { kind: 'columns', fields: [field('label', 'int64')] },
  source: 'mlflow-signature',
};

const tensor: ModelContract = {
  inputs: { kind: 'tensors', fields: [field('x', 'float32', { shape: [-1, 2] })] },
  outputs: { kind: 'tensors', fields: [field('y', 'float32', { shape: [-1] }), field('z', 'float32')] },
  source: 'onnx',
};

const rows = [
  { a: 1, b: 'x' },
  { a: 2, b: 'y' },
];

const fieldOf = refusedField;

describe('decodeMlflowRequest: the four formats', () => {
  it('dataframe_split (with an index, ignored)', () => {
    const request = decodeMlflowRequest({
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, 'x'],
          [2, 'y'],
        ],
        index: [10, 11],
      },
    });
    expect(request).toEqual({
      rows,
      format: 'dataframe_split',
      source: { field: 'dataframe_split.data', layout: 'rows' },
    });
  });

  it('dataframe_split without columns, named by a columns contract', () => {
    const request = decodeMlflowRequest({ dataframe_split: { data: [[1, 'x']] } }, tabular);
    expect(request.rows).toEqual([rows[0]]);
  });

  it('dataframe_records', () => {
    const request = decodeMlflowRequest({ dataframe_records: rows });
    expect(request.rows).toEqual(rows);
    expect(request.source).toEqual({ field: 'dataframe_records', layout: 'rows' });
  });

  it('instances as row objects, with params', () => {
    const request = decodeMlflowRequest({ instances: rows, params: { temperature: 0.1 } });
    expect(request.rows).toEqual(rows);
    expect(request.params).toEqual({ temperature: 0.1 });
  });

  it('instances as a list of tensors for a single-input model', () => {
    const request = decodeMlflowRequest(
      {
        instances: [
          [1, 2],
          [3, 4],
        ],
      },
      tensor,
    );
    expect(request.rows).toEqual([{ x: [1, 2] }, { x: [3, 4] }]);
  });

  it('instances as lists of column values for a columns contract', () => {
    expect(decodeMlflowRequest({ instances: [[1, 'x']] }, tabular).rows).toEqual([rows[0]]);
  });

  it('inputs as a dict of columns', () => {
    const request = decodeMlflowRequest({ inputs: { a: [1, 2], b: ['x', 'y'] } });
    expect(request.rows).toEqual(rows);
    expect(request.source).toEqual({ field: 'inputs', layout: 'columns' });
  });

  it('inputs as a dict of tensor inputs', () => {
    expect(decodeMlflowRequest({ inputs: { x: [[1, 2]] } }, tensor).rows).toEqual([{ x: [1, 2] }]);
  });

  it('inputs as a list for a single tensor input (the MLflow docs example)', () => {
    const request = decodeMlflowRequest(
      {
        inputs: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      tensor,
    );
    expect(request.rows).toEqual([{ x: [1, 2] }, { x: [3, 4] }, { x: [5, 6] }]);
    expect(compileRowValidator(tensor, request.source)(request.rows).warnings).toEqual([]);
  });

  it('gives the validator paths in the caller’s terms', () => {
    const request = decodeMlflowRequest({
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, 'x'],
          ['bad', 'y'],
        ],
      },
    });
    const validate = compileRowValidator(tabular, request.source);
    expect(fieldOf(() => validate(request.rows))).toBe('dataframe_split.data[1].a');
  });
});

describe('decodeMlflowRequest: refusals', () => {
  it.each([
    ['not an object', [1], undefined, 'body'],
    ['no format', {}, undefined, 'body'],
    ['two formats', { instances: rows, inputs: { a: [1] } }, undefined, 'inputs'],
    ['unknown key', { instances: rows, columns: [] }, undefined, 'columns'],
    ['bad params', { instances: rows, params: 3 }, undefined, 'params'],
    ['split not object', { dataframe_split: [] }, undefined, 'dataframe_split'],
    [
      'split unknown key',
      { dataframe_split: { columns: [], data: [], dtype: {} } },
      undefined,
      'dataframe_split.dtype',
    ],
    ['split no columns', { dataframe_split: { data: [[1]] } }, undefined, 'dataframe_split.columns'],
    [
      'split bad columns',
      { dataframe_split: { columns: [1], data: [] } },
      undefined,
      'dataframe_split.columns',
    ],
    [
      'split duplicate columns',
      { dataframe_split: { columns: ['a', 'a'], data: [] } },
      undefined,
      'dataframe_split.columns',
    ],
    [
      'split data not list',
      { dataframe_split: { columns: ['a'], data: {} } },
      undefined,
      'dataframe_split.data',
    ],
    [
      'split short row',
      { dataframe_split: { columns: ['a', 'b'], data: [[1, 'x'], [2]] } },
      undefined,
      'dataframe_split.data[1]',
    ],
    [
      'split bad index',
      { dataframe_split: { columns: ['a'], data: [[1]], index: [1, 2] } },
      undefined,
      'dataframe_split.index',
    ],
    ['records not list', { dataframe_records: {} }, undefined, 'dataframe_records'],
    ['records non-object', { dataframe_records: [{ a: 1 }, 2] }, undefined, 'dataframe_records[1]'],
    ['instances not list', { instances: 5 }, undefined, 'instances'],
    ['bare values without contract', { instances: [[1, 2]] }, undefined, 'instances[0]'],
    ['mixed forms', { instances: [[1, 2], { x: [1, 2] }] }, tensor, 'instances[1]'],
    ['positional wrong length', { instances: [[1, 'x'], [1]] }, tabular, 'instances[1]'],
    ['inputs columns unequal', { inputs: { a: [1, 2], b: ['x'] } }, undefined, 'inputs.b'],
    ['inputs list without single input', { inputs: [1, 2] }, undefined, 'inputs[0]'],
  ])('refuses %s', (_what, body, contract, name) => {
    expect(fieldOf(() => decodeMlflowRequest(body, contract))).toBe(name);
  });
});

describe('mlflowBodyKind', () => {
  it('accepts application/json and text/csv with parameters, case-insensitively', () => {
    expect(mlflowBodyKind('application/json')).toBe('json');
    expect(mlflowBodyKind('Application/JSON; charset=utf-8')).toBe('json');
    expect(mlflowBodyKind('text/csv; charset=utf-8')).toBe('csv');
  });

  it('refuses anything else, naming Content-Type', () => {
    expect(fieldOf(() => mlflowBodyKind('text/plain'))).toBe('Content-Type');
    expect(() => mlflowBodyKind('text/plain')).toThrow(/application\/json or text\/csv.*'text\/plain'/);
    expect(() => mlflowBodyKind(undefined)).toThrow(/got none/);
  });
});

describe('encodeMlflowResponse', () => {
  it('answers a list of values for a single-output model', () => {
    expect(encodeMlflowResponse([{ label: 1 }, { label: 0 }], tabular)).toEqual({ predictions: [1, 0] });
    expect(encodeMlflowResponse([{ p: 0.5 }, { p: 0.7 }])).toEqual({ predictions: [0.5, 0.7] });
  });

  it('answers a list of row objects otherwise', () => {
    const out = [
      { y: [1], z: 2 },
      { y: [3], z: 4 },
    ];
    expect(encodeMlflowResponse(out, tensor)).toEqual({ predictions: out });
    expect(encodeMlflowResponse([{ a: 1 }, { b: 2 }])).toEqual({ predictions: [{ a: 1 }, { b: 2 }] });
  });

  it('answers an empty list for no rows', () => {
    expect(encodeMlflowResponse([], tabular)).toEqual({ predictions: [] });
  });
});
