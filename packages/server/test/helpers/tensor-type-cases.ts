/** Expected mappings of tensor element type names that numpy and onnxruntime spell alike. */
import type { FieldType } from '@slipway/contracts';
import type { OnnxElementType } from './onnx-models.js';

/** Each name both numpy (`np.dtype(...).name`) and onnxruntime use, with the FieldType it must map to. */
export const COMMON_TENSOR_TYPE_CASES: readonly [OnnxElementType, FieldType][] = [
  ['bool', 'boolean'],
  ['int8', 'int8'],
  ['int16', 'int16'],
  ['int32', 'int32'],
  ['int64', 'int64'],
  ['uint8', 'uint8'],
  ['uint16', 'uint16'],
  ['uint32', 'uint32'],
  ['uint64', 'uint64'],
  ['float16', 'float16'],
  ['float32', 'float32'],
  ['float64', 'float64'],
];
