import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SlipwayError } from '@slipway/contracts';
import type { FieldType } from '@slipway/contracts';
import {
  mlflowColumnType,
  numpyDtypeType,
  parseMlflowSignature,
} from '../../src/registry/mlflow-signature.js';
import { parseMlmodel } from '../../src/registry/package-manifest.js';
import { COMMON_TENSOR_TYPE_CASES } from '../helpers/tensor-type-cases.js';
import {
  ONNX_MLMODEL,
  ONNX_MLMODEL_NO_SIGNATURE,
  PYFUNC_MLMODEL_COMPOSITE,
  SKLEARN_MLMODEL,
} from './mlflow-fixtures.js';

/** The `signature` block of an MLmodel text. */
function signatureOf(mlmodel: string): unknown {
  return (parse(mlmodel) as { signature?: unknown }).signature;
}

function refusal(run: () => unknown): SlipwayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((error as SlipwayError).details.field).toBe('source');
    return error as SlipwayError;
  }
  throw new Error('expected a refusal');
}

describe('parseMlflowSignature', () => {
  it('reads an sklearn column signature with an unnamed tensor output', () => {
    expect(parseMlflowSignature(signatureOf(SKLEARN_MLMODEL), 'source')).toEqual({
      inputs: {
        kind: 'columns',
        fields: [
          { name: 'sepal length (cm)', type: 'float64', nullable: false },
          { name: 'sepal width (cm)', type: 'float64', nullable: false },
          { name: 'petal length (cm)', type: 'float64', nullable: false },
          { name: 'petal width (cm)', type: 'float64', nullable: false },
        ],
      },
      outputs: {
        kind: 'tensors',
        fields: [{ name: 'output_0', type: 'int64', shape: [-1], nullable: false }],
      },
      source: 'mlflow-signature',
    });
  });

  it('reads a named tensor signature', () => {
    expect(parseMlflowSignature(signatureOf(ONNX_MLMODEL), 'source')).toEqual({
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 3], nullable: false }] },
      outputs: { kind: 'tensors', fields: [{ name: 'y', type: 'float32', shape: [-1, 1], nullable: false }] },
      source: 'mlflow-signature',
    });
  });

  it('returns undefined for a model logged without a signature', () => {
    expect(parseMlflowSignature(signatureOf(ONNX_MLMODEL_NO_SIGNATURE), 'source')).toBeUndefined();
    expect(parseMlflowSignature(null, 'source')).toBeUndefined();
    expect(parseMlflowSignature({ inputs: null, outputs: null, params: null }, 'source')).toBeUndefined();
  });

  it('maps every MLflow column type, required flags and composite types', () => {
    const contract = parseMlflowSignature(signatureOf(PYFUNC_MLMODEL_COMPOSITE), 'source');
    expect(contract?.inputs.fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['text', 'string', false],
      ['tags', 'object', true],
      ['options', 'object', true],
      ['user_id', 'int64', false],
      ['sent_at', 'datetime', false],
      ['vip', 'boolean', true],
      ['weight', 'float32', false],
      ['count', 'int32', false],
      ['blob', 'binary', true],
    ]);
    expect(contract?.outputs).toEqual({
      kind: 'columns',
      fields: [{ name: 'output_0', type: 'float64', nullable: false }],
    });
  });

  it('treats a column without `required` (MLflow 1.x) as required', () => {
    const contract = parseMlflowSignature(
      { inputs: '[{"name": "a", "type": "long"}]', outputs: null },
      'source',
    );
    expect(contract?.inputs.fields).toEqual([{ name: 'a', type: 'int64', nullable: false }]);
    expect(contract?.outputs).toEqual({ kind: 'columns', fields: [] });
  });

  it('names unnamed inputs by position', () => {
    const contract = parseMlflowSignature(
      { inputs: '[{"type": "double"}, {"type": "string"}]', outputs: '[{"type": "long"}]' },
      'source',
    );
    expect(contract?.inputs.fields.map((f) => f.name)).toEqual(['input_0', 'input_1']);
    expect(contract?.outputs.fields.map((f) => f.name)).toEqual(['output_0']);
  });

  it.each<[string, FieldType]>([
    ...COMMON_TENSOR_TYPE_CASES,
    ['str', 'string'],
    ['bytes', 'binary'],
    ['object', 'object'],
    ['datetime64[ns]', 'datetime'],
    ['complex128', 'object'],
  ])('maps numpy dtype %s to %s', (dtype, type) => {
    expect(numpyDtypeType(dtype)).toBe(type);
  });

  it.each<[string, FieldType | undefined]>([
    ['boolean', 'boolean'],
    ['integer', 'int32'],
    ['long', 'int64'],
    ['float', 'float32'],
    ['double', 'float64'],
    ['string', 'string'],
    ['binary', 'binary'],
    ['datetime', 'datetime'],
    ['map', 'object'],
    ['any', 'object'],
    ['tensor', undefined],
    ['toString', undefined],
  ])('maps MLflow column type %s to %s', (type, expected) => {
    expect(mlflowColumnType(type)).toBe(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['a signature that is not a mapping', '[1]', /must be a mapping/],
    ['inputs that are not JSON', { inputs: '[{"type": ' }, /signature.inputs is not valid JSON/],
    ['inputs that are not a list', { inputs: '{"type": "double"}' }, /JSON list/],
    ['inputs given as YAML, not a JSON string', { inputs: [{ type: 'double' }] }, /JSON string/],
    [
      'an unknown column type',
      { inputs: '[{"type": "decimal", "name": "a"}]' },
      /unknown MLflow column type 'decimal'/,
    ],
    [
      'mixed column and tensor specs',
      {
        inputs:
          '[{"type": "double", "name": "a"}, {"type": "tensor", "name": "b", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
      },
      /mixes column and tensor/,
    ],
    [
      'a tensor without tensor-spec',
      { inputs: '[{"type": "tensor", "name": "t"}]' },
      /without a 'tensor-spec'/,
    ],
    [
      'a tensor with a bad shape',
      {
        inputs: '[{"type": "tensor", "name": "t", "tensor-spec": {"dtype": "float32", "shape": [-1, "N"]}}]',
      },
      /shape must be a list of integers/,
    ],
    [
      'a duplicate name',
      { inputs: '[{"type": "double", "name": "a"}, {"type": "long", "name": "a"}]' },
      /names 'a' twice/,
    ],
    [
      'a non-boolean required',
      { inputs: '[{"type": "double", "name": "a", "required": "yes"}]' },
      /required must be a boolean/,
    ],
  ])('refuses %s', (_label, signature, message) => {
    expect(refusal(() => parseMlflowSignature(signature, 'source')).message).toMatch(message);
  });
});

describe('parseMlmodel', () => {
  it('reads an sklearn MLmodel as a python_function package with its signature and metadata', () => {
    const manifest = parseMlmodel(SKLEARN_MLMODEL, 'source');
    expect(manifest.manifest).toBe('MLmodel');
    expect(manifest.runtime).toBe('python_function');
    expect(manifest.entryPoint).toBe('model.pkl');
    expect(manifest.contract?.source).toBe('mlflow-signature');
    expect(manifest.metadata).toEqual({
      flavors: ['python_function', 'sklearn'],
      mlflow_version: '2.12.1',
      run_id: '3c9d2e81b47f4d0c9a6e5f1b2c3d4e5f',
      utc_time_created: '2024-04-18 09:12:45.331722',
      model_uuid: '7a1f0cf0f3a94a4e8b1c2f8f6d9e0b31',
      artifact_path: 'model',
    });
  });

  it('reads an onnx flavor as runtime onnx with its data file as entry point', () => {
    const manifest = parseMlmodel(ONNX_MLMODEL_NO_SIGNATURE, 'source');
    expect(manifest.runtime).toBe('onnx');
    expect(manifest.entryPoint).toBe('model.onnx');
    expect(manifest.contract).toBeUndefined();
  });

  it("keeps MLflow's own metadata block under `metadata`", () => {
    const manifest = parseMlmodel(PYFUNC_MLMODEL_COMPOSITE, 'source');
    expect(manifest.runtime).toBe('python_function');
    expect(manifest.entryPoint).toBeUndefined();
    expect(manifest.metadata.metadata).toEqual({ team: 'risk' });
  });

  it('keeps versions and ids as written even when YAML would read them as numbers', () => {
    const text = 'flavors: {}\nmlflow_version: 2.10\nrun_id: 12345678901234567890123456789012\n';
    expect(parseMlmodel(text, 'source').metadata).toMatchObject({
      mlflow_version: '2.10',
      run_id: '12345678901234567890123456789012',
    });
  });

  it('calls a model with neither onnx nor python_function flavor unknown', () => {
    expect(parseMlmodel('flavors:\n  spark:\n    model_data: sparkml\n', 'source').runtime).toBe('unknown');
  });

  it.each([
    ['no flavors', 'artifact_path: model\n', /MLmodel: has no flavors mapping/],
    ['invalid YAML', 'flavors: [\n', /MLmodel: is not valid YAML/],
    ['a duplicate key', 'flavors: {}\nflavors: {}\n', /MLmodel: is not valid YAML/],
    [
      'an unsafe entry point',
      'flavors:\n  onnx:\n    data: ../../secret.onnx\n',
      /flavors.onnx.data '..\/..\/secret.onnx'/,
    ],
    [
      'alias bombs',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nflavors: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      /not valid YAML/,
    ],
  ])('refuses %s', (_label, text, message) => {
    expect(refusal(() => parseMlmodel(text, 'source')).message).toMatch(message);
  });
});
