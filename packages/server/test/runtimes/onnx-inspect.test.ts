import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { SlipwayError } from '@slipway/contracts';
import type { FieldType } from '@slipway/contracts';
import { inspectOnnx, onnxTensorType } from '../../src/runtimes/onnx/onnx-inspect.js';
import {
  identityOnnx,
  linearRegressorOnnx,
  logisticClassifierOnnx,
  onnxModel,
  type OnnxElementType,
} from '../helpers/onnx-models.js';
import { COMMON_TENSOR_TYPE_CASES } from '../helpers/tensor-type-cases.js';

async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

describe('inspectOnnx', () => {
  it('describes a linear regressor: symbolic batch dimension becomes -1', async () => {
    const graph = await inspectOnnx(linearRegressorOnnx([0.5, -1, 2], 0.25), 'source');
    expect(graph).toEqual({
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 3], nullable: false }] },
      outputs: { kind: 'tensors', fields: [{ name: 'y', type: 'float32', shape: [-1, 1], nullable: false }] },
    });
  });

  it('describes a classifier with two outputs in graph order', async () => {
    const graph = await inspectOnnx(logisticClassifierOnnx([1, 2], 0), 'source');
    expect(graph.outputs.fields).toEqual([
      { name: 'label', type: 'int64', shape: [-1], nullable: false },
      { name: 'probabilities', type: 'float32', shape: [-1, 2], nullable: false },
    ]);
  });

  it.each<[OnnxElementType, FieldType]>([...COMMON_TENSOR_TYPE_CASES, ['string', 'string']])(
    'maps ONNX element type %s to %s',
    async (elementType, fieldType) => {
      const graph = await inspectOnnx(identityOnnx(elementType, [2, 'batch']), 'source');
      expect(graph.inputs.fields[0]).toEqual({
        name: 'input',
        type: fieldType,
        shape: [2, -1],
        nullable: false,
      });
    },
  );

  it('carries element types Slipway has no type for as object', () => {
    expect(onnxTensorType('bfloat16')).toBe('object');
    expect(onnxTensorType('int4')).toBe('object');
  });

  it('reports a rank-0 (scalar) tensor with an empty shape', async () => {
    const graph = await inspectOnnx(identityOnnx('float32', []), 'source');
    expect(graph.inputs.fields[0]?.shape).toEqual([]);
  });

  it.each([
    ['random bytes', new Uint8Array([1, 2, 3, 4, 5, 6, 7])],
    ['text', new TextEncoder().encode('this is not a model')],
    ['a truncated model', linearRegressorOnnx([1, 2], 0).slice(0, 40)],
    ['an empty file', new Uint8Array()],
  ])('refuses %s as INVALID_ARGUMENT naming the caller field', async (_label, bytes) => {
    const error = await refusal(inspectOnnx(bytes, 'model_file'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('model_file');
    expect(error.message).toMatch(/^Not a valid ONNX model: /);
  });

  it('refuses a well-formed protobuf whose graph does not type-check', async () => {
    const broken = onnxModel({
      inputs: [{ name: 'x', type: 'float32', shape: ['N', 2] }],
      outputs: [{ name: 'y', type: 'float32', shape: ['N', 2] }],
      nodes: [{ opType: 'Add', input: ['x', 'undefined_tensor'], output: ['y'] }],
    });
    const error = await refusal(inspectOnnx(broken, 'source'));
    expect(error.message).toMatch(/^Not a valid ONNX model: /);
  });

  it('builds models that onnxruntime runs with the intended arithmetic', async () => {
    const session = await InferenceSession.create(linearRegressorOnnx([0.5, -1, 2], 0.25));
    const x = new Tensor('float32', Float32Array.from([1, 2, 3, 0, 0, 1]), [2, 3]);
    const { y } = await session.run({ x });
    expect(Array.from(y?.data as Float32Array)).toEqual([0.5 - 2 + 6 + 0.25, 2.25]);
    await session.release();

    const classifier = await InferenceSession.create(logisticClassifierOnnx([2, -1], 0));
    const out = await classifier.run({ x: new Tensor('float32', Float32Array.from([1, 0, 0, 3]), [2, 2]) });
    expect(Array.from(out.label?.data as BigInt64Array)).toEqual([1n, 0n]);
    const p = Array.from(out.probabilities?.data as Float32Array);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(p[0]! + p[1]!).toBeCloseTo(1, 6);
    await classifier.release();
  });
});
