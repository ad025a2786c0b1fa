/**
 * Reads an ONNX model's graph inputs and outputs (names, element types, shapes) by loading it in
 * onnxruntime: loading is also the proof that the file is a model the ONNX runtime can serve.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { invalidArgument } from '@slipway/contracts';
import type { ContractField, ContractSchema, FieldType } from '@slipway/contracts';
import { ORT_TYPES } from '../../registry/tensor-types.js';

/** The graph's interface as two tensor schemas. */
export interface OnnxInterface {
  inputs: ContractSchema;
  outputs: ContractSchema;
}

/**
 * Loads `bytes` as an ONNX model and describes its graph interface. Symbolic dimensions become -1;
 * non-tensor values (sequences, maps such as sklearn-onnx's ZipMap) become shapeless `object`s.
 * A file onnxruntime cannot load is refused as INVALID_ARGUMENT naming `field`.
 */
export async function inspectOnnx(bytes: Uint8Array, field: string): Promise<OnnxInterface> {
  if (bytes.length === 0) throw invalidArgument(field, 'Not a valid ONNX model: the file is empty');
  // Lazy: the native binding is only loaded by processes that actually touch ONNX models.
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw invalidArgument(
      field,
      `Not a valid ONNX model: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return {
      inputs: { kind: 'tensors', fields: session.inputMetadata.map(toField) },
      outputs: { kind: 'tensors', fields: session.outputMetadata.map(toField) },
    };
  } finally {
    await session.release();
  }
}

/** The FieldType of an onnxruntime tensor type name (`float32`, `int64`, ...); others become `object`. */
export function onnxTensorType(type: string): FieldType {
  return Object.hasOwn(ORT_TYPES, type) ? (ORT_TYPES[type] ?? 'object') : 'object';
}

function toField(meta: InferenceSession.ValueMetadata): ContractField {
  if (!meta.isTensor) return { name: meta.name, type: 'object', nullable: false };
  const shape = meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
  return { name: meta.name, type: onnxTensorType(meta.type), shape, nullable: false };
}
