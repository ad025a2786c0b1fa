/**
 * Tensor element type names and the FieldType each maps to, for the two places that name them:
 * numpy dtypes in MLflow tensor signatures and onnxruntime's tensor metadata. Pure.
 */
import type { FieldType } from '@slipway/contracts';

/** Names numpy (`np.dtype(...).name`) and onnxruntime spell alike. */
const COMMON_TENSOR_TYPES: Readonly<Record<string, FieldType>> = {
  bool: 'boolean',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  float16: 'float16',
  float32: 'float32',
  float64: 'float64',
};

/** numpy dtype names (`np.dtype(...).name`, as MLflow writes them) and what they map to. */
export const NUMPY_DTYPES: Readonly<Record<string, FieldType>> = {
  ...COMMON_TENSOR_TYPES,
  str: 'string',
  bytes: 'binary',
  object: 'object',
};

/** onnxruntime's tensor type names and what they map to. */
export const ORT_TYPES: Readonly<Record<string, FieldType>> = {
  ...COMMON_TENSOR_TYPES,
  string: 'string',
};
