/**
 * A logistic regression as an ONNX model and a Slipway model package: the graph sklearn-onnx
 * writes for a binary classifier (input `x` float32 [N, k]; outputs `label` int64 [N] and
 * `probabilities` float32 [N, 2]), and the `slipway.yaml` whose contract names the k feature
 * columns that serving packs into `x`.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { LogisticModel } from './logistic-regression.js';

const { onnx } = onnxProto;

/** ONNX TensorProto element types used here. */
const FLOAT = 1;
const INT64 = 7;

/** The ONNX bytes of `model`: p1 = sigmoid(x·w + b), probabilities [1 − p1, p1], label = argmax. */
export function logisticOnnx(model: LogisticModel): Uint8Array {
  const k = model.weights.length;
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'slipway-demo',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'logistic_regression',
      input: [tensorValue('x', FLOAT, ['N', k])],
      output: [tensorValue('label', INT64, ['N']), tensorValue('probabilities', FLOAT, ['N', 2])],
      initializer: [
        { name: 'w', dims: [k, 1], dataType: FLOAT, floatData: model.weights },
        { name: 'b', dims: [1], dataType: FLOAT, floatData: [model.bias] },
        { name: 'one', dims: [1], dataType: FLOAT, floatData: [1] },
      ],
      node: [
        { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
        { opType: 'Sigmoid', input: ['z'], output: ['p1'] },
        { opType: 'Sub', input: ['one', 'p1'], output: ['p0'] },
        {
          opType: 'Concat',
          input: ['p0', 'p1'],
          output: ['probabilities'],
          attribute: [intAttribute('axis', 1)],
        },
        {
          opType: 'ArgMax',
          input: ['probabilities'],
          output: ['label'],
          attribute: [intAttribute('axis', 1), intAttribute('keepdims', 0)],
        },
      ],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** The `slipway.yaml` of a package holding `model.onnx`: its contract reads `features` as float32 columns, packed into `x` in order. */
export function logisticManifest(features: readonly string[]): string {
  const inputs = features.map((name) => `      - { name: ${name}, type: float32 }`);
  return [
    'format_version: 1',
    'runtime: onnx',
    'entry_point: model.onnx',
    'contract:',
    '  inputs:',
    '    kind: columns',
    '    fields:',
    ...inputs,
    '  outputs:',
    '    kind: tensors',
    '    fields:',
    '      - { name: label, type: int64, shape: [-1] }',
    '      - { name: probabilities, type: float32, shape: [-1, 2] }',
    '',
  ].join('\n');
}

function tensorValue(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function intAttribute(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}
