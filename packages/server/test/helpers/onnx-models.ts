/**
 * Small real ONNX models built in memory with onnx-proto, for tests and benchmarks: no binary
 * fixtures in the repository, and every model is what onnxruntime-node actually loads and runs.
 */
import type { ModelContract } from '@slipway/contracts';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { logisticOnnx } from '../../src/demo/logistic-onnx.js';

const { onnx } = onnxProto;

/** ONNX TensorProto element types by the name onnxruntime reports them with. */
export const ONNX_ELEMENT_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;

/** An element type name understood by the builders. */
export type OnnxElementType = keyof typeof ONNX_ELEMENT_TYPES;

/** A graph input or output: a number is a fixed dimension, a string a symbolic one (e.g. `N`). */
export interface OnnxValue {
  name: string;
  type: OnnxElementType;
  shape: (number | string)[];
}

/** Everything a graph needs; opset defaults to 13, IR version to 8. */
export interface OnnxGraphSpec {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxTypes.INodeProto[];
  initializers?: OnnxTypes.ITensorProto[];
  opset?: number;
}

/** Encodes a model from a graph spec. */
export function onnxModel(spec: OnnxGraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'slipway-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'graph',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A float32 initializer (a constant tensor) named `name`. */
export function floatTensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: ONNX_ELEMENT_TYPES.float32, floatData: values };
}

/**
 * Linear regression y = x·w + b with MatMul + Add: input `x` float32 [N, k] (k = weights.length),
 * output `y` float32 [N, 1].
 */
export function linearRegressorOnnx(weights: number[], bias: number): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', type: 'float32', shape: ['N', weights.length] }],
    outputs: [{ name: 'y', type: 'float32', shape: ['N', 1] }],
    initializers: [floatTensor('w', [weights.length, 1], weights), floatTensor('b', [1], [bias])],
    nodes: [
      { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
      { opType: 'Add', input: ['xw', 'b'], output: ['y'] },
    ],
  });
}

/**
 * Binary logistic classifier with two outputs, like sklearn-onnx's: p1 = sigmoid(x·w + b),
 * `probabilities` float32 [N, 2] = [1 - p1, p1], `label` int64 [N] = argmax. Input `x` float32 [N, k].
 */
export function logisticClassifierOnnx(weights: number[], bias: number): Uint8Array {
  return logisticOnnx({ weights, bias });
}

/** A pass-through model (Identity) whose one input and output have `type` and `shape`. */
export function identityOnnx(type: OnnxElementType, shape: (number | string)[]): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'input', type, shape }],
    outputs: [{ name: 'output', type, shape }],
    nodes: [{ opType: 'Identity', input: ['input'], output: ['output'] }],
  });
}

function valueInfo(value: OnnxValue): OnnxTypes.IValueInfoProto {
  const dim = value.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return {
    name: value.name,
    type: { tensorType: { elemType: ONNX_ELEMENT_TYPES[value.type], shape: { dim } } },
  };
}

/** slipway.yaml of a `logisticClassifierOnnx` over two columns `a` and `b`, packed into its input `x`. */
export const LOGISTIC_AB_MANIFEST = `format_version: 1
runtime: onnx
entry_point: model.onnx
contract:
  inputs:
    kind: columns
    fields:
      - { name: a, type: float32 }
      - { name: b, type: float32 }
  outputs:
    kind: tensors
    fields:
      - { name: label, type: int64, shape: [-1] }
      - { name: probabilities, type: float32, shape: [-1, 2] }
`;

/** The contract of `LOGISTIC_AB_MANIFEST`, as a declared ModelContract. */
export const LOGISTIC_AB_CONTRACT: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'a', type: 'float32', nullable: false },
      { name: 'b', type: 'float32', nullable: false },
    ],
  },
  outputs: {
    kind: 'tensors',
    fields: [
      { name: 'label', type: 'int64', shape: [-1], nullable: false },
      { name: 'probabilities', type: 'float32', shape: [-1, 2], nullable: false },
    ],
  },
  source: 'declared',
};
