import { describe, expect, it } from 'vitest';
import type { ContractField, ModelContract } from '@slipway/contracts';
import {
  buildOipModelMetadata,
  datatypeAccepts,
  decodeOipRequest,
  encodeOipOutputs,
  encodeOipResponse,
  oipDatatypeOf,
} from '../../src/serving/protocols/oip-v2.js';
import { compileRowValidator } from '../../src/serving/validate-rows.js';
import { refusal, refusedField } from '../helpers/refusal.js';

function field(name: string, type: ContractField['type'], extra: Partial<ContractField> = {}): ContractField {
  return { name, type, nullable: false, ...extra };
}

const tabular: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      field('amount', 'float32'),
      field('country', 'string'),
      field('age', 'int32', { nullable: true }),
    ],
  },
  outputs: { kind: 'columns', fields: [field('label', 'int64'), field('score', 'float32')] },
  source: 'mlflow-signature',
};

const spec: ModelContract = {
  inputs: { kind: 'tensors', fields: [field('input0', 'uint32', { shape: [-1, 2] })] },
  outputs: { kind: 'tensors', fields: [field('output0', 'float32', { shape: [-1, 2] })] },
  source: 'onnx',
};

const fieldOf = refusedField;

describe('decodeOipRequest', () => {
  it("decodes the spec's example request (input0: UINT32 [2, 2])", () => {
    const request = decodeOipRequest(
      {
        id: '42',
        inputs: [{ name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] }],
        outputs: [{ name: 'output0' }],
      },
      spec,
    );
    expect(request).toEqual({
      id: '42',
      rows: [{ input0: [1, 2] }, { input0: [3, 4] }],
      source: { field: 'inputs', layout: 'columns' },
      requestedOutputs: ['output0'],
    });
  });

  it('accepts nested (row-major) data like flat data', () => {
    const flat = decodeOipRequest(
      { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] },
      undefined,
    );
    const nested = decodeOipRequest(
      {
        inputs: [
          {
            name: 'x',
            shape: [2, 3],
            datatype: 'FP32',
            data: [
              [1, 2, 3],
              [4, 5, 6],
            ],
          },
        ],
      },
      undefined,
    );
    expect(nested.rows).toEqual(flat.rows);
    expect(flat.rows).toEqual([{ x: [1, 2, 3] }, { x: [4, 5, 6] }]);
  });

  it('slices rank-3 tensors into nested per-row values', () => {
    const request = decodeOipRequest(
      { inputs: [{ name: 'img', shape: [2, 2, 2], datatype: 'INT8', data: [1, 2, 3, 4, 5, 6, 7, 8] }] },
      undefined,
    );
    expect(request.rows).toEqual([
      {
        img: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        img: [
          [5, 6],
          [7, 8],
        ],
      },
    ]);
  });

  it('reads one column per tensor for a columns contract ([N] and [N, 1]), BYTES as strings', () => {
    const request = decodeOipRequest(
      {
        inputs: [
          { name: 'amount', shape: [2], datatype: 'FP32', data: [1.5, 2.5] },
          { name: 'country', shape: [2, 1], datatype: 'BYTES', data: [['FR'], ['DE']] },
        ],
        parameters: { trace: true },
      },
      tabular,
    );
    expect(request.rows).toEqual([
      { amount: 1.5, country: 'FR' },
      { amount: 2.5, country: 'DE' },
    ]);
    expect(request.parameters).toEqual({ trace: true });
  });

  it('accepts integer data for float fields and any integer width for integer fields', () => {
    expect(datatypeAccepts('float32', 'INT64')).toBe(true);
    expect(datatypeAccepts('int32', 'INT64')).toBe(true);
    expect(datatypeAccepts('int32', 'FP32')).toBe(false);
    expect(datatypeAccepts('boolean', 'INT8')).toBe(false);
    expect(datatypeAccepts('string', 'BYTES')).toBe(true);
    expect(oipDatatypeOf('float16')).toBe('FP16');
    expect(oipDatatypeOf('uint64')).toBe('UINT64');
    expect(oipDatatypeOf('datetime')).toBe('BYTES');
  });

  const amount = { name: 'amount', shape: [1], datatype: 'FP32', data: [1] };
  const country = { name: 'country', shape: [1], datatype: 'BYTES', data: ['FR'] };
  it.each([
    ['not an object', [], 'body'],
    ['unknown top-level key', { inputs: [amount, country], model: 'x' }, 'model'],
    ['no inputs', { inputs: [] }, 'inputs'],
    ['bad id', { id: 4, inputs: [amount, country] }, 'id'],
    ['bad parameters', { parameters: 1, inputs: [amount, country] }, 'parameters'],
    ['non-object tensor', { inputs: [amount, 3] }, 'inputs[1]'],
    ['unknown tensor key', { inputs: [{ ...amount, contents: {} }, country] }, 'inputs[0].contents'],
    ['missing name', { inputs: [{ ...amount, name: '' }, country] }, 'inputs[0].name'],
    ['bad shape', { inputs: [{ ...amount, shape: [-1] }, country] }, 'inputs[0].shape'],
    ['unknown datatype', { inputs: [{ ...amount, datatype: 'FLOAT' }, country] }, 'inputs[0].datatype'],
    [
      'datatype vs contract',
      { inputs: [{ ...amount, datatype: 'BOOL', data: [true] }, country] },
      'inputs[0].datatype',
    ],
    ['shape × data', { inputs: [{ ...amount, shape: [2] }, country] }, 'inputs[0].data'],
    ['element type', { inputs: [amount, { ...country, data: [5] }] }, 'inputs[1].data[0]'],
    ['column shape', { inputs: [{ ...amount, shape: [1, 2], data: [1, 2] }, country] }, 'inputs[0].shape'],
    ['unknown input', { inputs: [amount, country, { ...amount, name: 'zip' }] }, 'inputs[2].name'],
    ['duplicate input', { inputs: [amount, country, amount] }, 'inputs[2].name'],
    ['missing required input', { inputs: [amount] }, 'inputs'],
    [
      'row counts differ',
      { inputs: [amount, { ...country, shape: [2], data: ['a', 'b'] }] },
      'inputs[1].shape',
    ],
    [
      'binary extension',
      { inputs: [{ ...amount, parameters: { binary_data_size: 4 } }, country] },
      'inputs[0].parameters.binary_data_size',
    ],
    ['unknown output', { inputs: [amount, country], outputs: [{ name: 'nope' }] }, 'outputs[0].name'],
    ['bad outputs', { inputs: [amount, country], outputs: {} }, 'outputs'],
  ])('refuses %s naming %s', (_what, body, name) => {
    expect(fieldOf(() => decodeOipRequest(body, tabular))).toBe(name);
  });

  it('refuses out-of-bounds integers and tensor shapes the contract does not take', () => {
    const body = { inputs: [{ name: 'input0', shape: [1, 2], datatype: 'UINT32', data: [1, -2] }] };
    expect(fieldOf(() => decodeOipRequest(body, spec))).toBe('inputs[0].data[1]');
    const wide = { inputs: [{ name: 'input0', shape: [1, 3], datatype: 'UINT32', data: [1, 2, 3] }] };
    expect(fieldOf(() => decodeOipRequest(wide, spec))).toBe('inputs[0].shape');
  });

  it('feeds rows the validator names as inputs.<name>[i]', () => {
    const request = decodeOipRequest(
      {
        inputs: [
          { name: 'amount', shape: [2], datatype: 'FP64', data: [1, 1e39] },
          { name: 'country', shape: [2], datatype: 'BYTES', data: ['FR', 'DE'] },
        ],
      },
      tabular,
    );
    const validate = compileRowValidator(tabular, request.source);
    expect(fieldOf(() => validate(request.rows))).toBe('inputs.amount[1]');
  });
});

describe('encodeOipOutputs', () => {
  it("encodes the spec's example response (output0: FP32 [3, 2])", () => {
    const rows = [{ output0: [1.0, 1.1] }, { output0: [2.0, 2.1] }, { output0: [3.0, 3.1] }];
    expect(encodeOipResponse({ modelName: 'mymodel', id: '42', predictions: rows, contract: spec })).toEqual({
      model_name: 'mymodel',
      id: '42',
      outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: [1.0, 1.1, 2.0, 2.1, 3.0, 3.1] }],
    });
  });

  it('uses contract datatypes for scalar outputs, in contract order, and filters requested outputs', () => {
    const rows = [
      { score: 0.9, label: 1 },
      { score: 0.2, label: 0 },
    ];
    expect(encodeOipOutputs(rows, tabular.outputs.fields)).toEqual([
      { name: 'label', shape: [2], datatype: 'INT64', data: [1, 0] },
      { name: 'score', shape: [2], datatype: 'FP32', data: [0.9, 0.2] },
    ]);
    expect(encodeOipOutputs(rows, tabular.outputs.fields, ['score']).map((t) => t.name)).toEqual(['score']);
  });

  it('infers datatypes without a contract', () => {
    const rows = [
      { b: true, i: 1, f: 0.5, s: 'a', o: { k: 1 }, big: 2n ** 70n },
      { b: false, i: 2, f: 1, s: 'b', o: { k: 2 }, big: 3n },
    ];
    expect(encodeOipOutputs(rows)).toEqual([
      { name: 'b', shape: [2], datatype: 'BOOL', data: [true, false] },
      { name: 'i', shape: [2], datatype: 'INT64', data: [1, 2] },
      { name: 'f', shape: [2], datatype: 'FP64', data: [0.5, 1] },
      { name: 's', shape: [2], datatype: 'BYTES', data: ['a', 'b'] },
      { name: 'o', shape: [2], datatype: 'BYTES', data: ['{"k":1}', '{"k":2}'] },
      { name: 'big', shape: [2], datatype: 'INT64', data: ['1180591620717411303424', 3] },
    ]);
  });

  it('refuses ragged or partly missing outputs as FAILED_PRECONDITION', () => {
    const ragged = () => encodeOipOutputs([{ p: [1, 2] }, { p: [1] }]);
    expect(ragged).toThrow(/per-row shape \[2\]/);
    expect(refusal(() => encodeOipOutputs([{ p: 1 }, {}])).code).toBe('FAILED_PRECONDITION');
    expect(() => encodeOipOutputs([{ p: 1 }, {}])).toThrow(/row 1 has no value/);
  });

  it('round-trips: OIP request → rows → model → OIP outputs', () => {
    const request = decodeOipRequest(
      {
        id: 'r1',
        inputs: [{ name: 'input0', shape: [3, 2], datatype: 'UINT32', data: [1, 2, 3, 4, 5, 6] }],
      },
      spec,
    );
    expect(compileRowValidator(spec, request.source)(request.rows).warnings).toEqual([]);
    // An identity "model": output0 = input0 as floats.
    const predictions = request.rows.map((row) => ({ output0: row.input0 }));
    const response = encodeOipResponse({
      modelName: 'identity',
      modelVersion: '1',
      id: request.id ?? 'generated',
      predictions,
      contract: spec,
    });
    expect(response).toEqual({
      model_name: 'identity',
      model_version: '1',
      id: 'r1',
      outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }],
    });
    const back = decodeOipRequest(
      { inputs: response.outputs.map((o) => ({ ...o, name: 'input0' })) },
      undefined,
    );
    expect(back.rows).toEqual(request.rows);
  });
});

describe('buildOipModelMetadata', () => {
  it('describes a columns contract with -1 batch dims', () => {
    expect(buildOipModelMetadata('fraud', ['1', '2'], tabular)).toEqual({
      name: 'fraud',
      versions: ['1', '2'],
      platform: 'slipway',
      inputs: [
        { name: 'amount', datatype: 'FP32', shape: [-1] },
        { name: 'country', datatype: 'BYTES', shape: [-1] },
        { name: 'age', datatype: 'INT32', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'score', datatype: 'FP32', shape: [-1] },
      ],
    });
  });

  it('keeps tensor shapes with the batch dim as -1', () => {
    const contract: ModelContract = {
      ...spec,
      inputs: { kind: 'tensors', fields: [field('img', 'float32', { shape: [1, 3, 224, 224] })] },
    };
    const metadata = buildOipModelMetadata('vision', undefined, contract);
    expect(metadata.inputs).toEqual([{ name: 'img', datatype: 'FP32', shape: [-1, 3, 224, 224] }]);
    expect(metadata.versions).toBeUndefined();
    expect(buildOipModelMetadata('bare', undefined, undefined)).toEqual({
      name: 'bare',
      platform: 'slipway',
      inputs: [],
      outputs: [],
    });
  });
});
