/**
 * MLmodel files as MLflow 2.12 writes them (`mlflow.sklearn.log_model` with an inferred signature,
 * `mlflow.onnx.log_model`, a model logged without a signature). Shared by the signature and the
 * package tests.
 */

/** sklearn classifier on iris: column signature in, unnamed int64 tensor out. */
export const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.8
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.4.2
mlflow_version: 2.12.1
model_uuid: 7a1f0cf0f3a94a4e8b1c2f8f6d9e0b31
run_id: 3c9d2e81b47f4d0c9a6e5f1b2c3d4e5f
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name":
    "petal length (cm)", "required": true}, {"type": "double", "name": "petal width (cm)",
    "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-04-18 09:12:45.331722'
`;

/** ONNX model logged with mlflow.onnx: named tensor signature, onnx + python_function flavors. */
export const ONNX_MLMODEL = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.8
mlflow_version: 2.12.1
model_uuid: 0d4c1f5e9b2a4c7d8e6f1a2b3c4d5e6f
run_id: 8b7a6c5d4e3f4a1b9c8d7e6f5a4b3c2d
signature:
  inputs: '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape":
    [-1, 3]}}]'
  outputs: '[{"name": "y", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape":
    [-1, 1]}}]'
  params: null
utc_time_created: '2024-04-18 10:01:02.123456'
`;

/** An ONNX model logged without a signature (no input example given). */
export const ONNX_MLMODEL_NO_SIGNATURE = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
    providers:
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.8
mlflow_version: 2.12.1
model_uuid: 5e4d3c2b1a094f8e7d6c5b4a39281706
run_id: 8b7a6c5d4e3f4a1b9c8d7e6f5a4b3c2d
utc_time_created: '2024-04-18 10:05:00.000001'
`;

/** A pyfunc model with MLflow 2.x composite column types, optional columns and user metadata. */
export const PYFUNC_MLMODEL_COMPOSITE = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 3.0.0
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.8
metadata:
  team: risk
mlflow_version: 2.12.1
model_uuid: 1b2c3d4e5f60718293a4b5c6d7e8f901
run_id: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
signature:
  inputs: '[{"type": "string", "name": "text", "required": true}, {"type": "array",
    "items": {"type": "string"}, "name": "tags", "required": false}, {"type": "object",
    "properties": {"lang": {"type": "string", "required": true}}, "name": "options",
    "required": false}, {"type": "long", "name": "user_id", "required": true}, {"type":
    "datetime", "name": "sent_at", "required": true}, {"type": "boolean", "name": "vip",
    "required": false}, {"type": "float", "name": "weight", "required": true}, {"type":
    "integer", "name": "count", "required": true}, {"type": "binary", "name": "blob",
    "required": false}]'
  outputs: '[{"type": "double", "required": true}]'
  params: '[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}]'
utc_time_created: '2024-04-18 11:00:00.000000'
`;
