/**
 * Shared by the benchmarks: a logistic-regression ONNX model built with onnx-proto,
 * p = sigmoid(x·w + b), input `x` float32 [N, k], outputs `label` int64 [N] (argmax) and
 * `probabilities` float32 [N, 2].
 */
import { Buffer } from 'node:buffer';

/** The model's bytes for these weights (k = weights.length) and bias. */
export async function logisticOnnx(weights, bias) {
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const value = (name, elemType, dims) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
  const int = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'slipway-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'logistic',
      input: [value('x', 1, ['N', weights.length])],
      output: [value('label', 7, ['N']), value('probabilities', 1, ['N', 2])],
      initializer: [
        { name: 'w', dims: [weights.length, 1], dataType: 1, floatData: weights },
        { name: 'b', dims: [1], dataType: 1, floatData: [bias] },
        { name: 'one', dims: [1], dataType: 1, floatData: [1] },
      ],
      node: [
        { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
        { opType: 'Sigmoid', input: ['z'], output: ['p1'] },
        { opType: 'Sub', input: ['one', 'p1'], output: ['p0'] },
        { opType: 'Concat', input: ['p0', 'p1'], output: ['probabilities'], attribute: [int('axis', 1)] },
        {
          opType: 'ArgMax',
          input: ['probabilities'],
          output: ['label'],
          attribute: [int('axis', 1), int('keepdims', 0)],
        },
      ],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** The slipway.yaml of `logisticOnnx` over `features` float32 columns f0..f(k-1), packed into `x`. */
export function logisticManifest(features) {
  const fields = Array.from({ length: features }, (_, i) => `      - { name: f${i}, type: float32 }`);
  return `format_version: 1
runtime: onnx
entry_point: model.onnx
contract:
  inputs:
    kind: columns
    fields:
${fields.join('\n')}
  outputs:
    kind: tensors
    fields:
      - { name: label, type: int64, shape: [-1] }
      - { name: probabilities, type: float32, shape: [-1, 2] }
`;
}
