/**
 * Model registry domain types as the native API and the SDK see them (camelCase). The MLflow compat
 * layer converts these to MLflow's protobuf-JSON shapes.
 */
import type { ModelContract } from './model-contract.js';
import type { StringMap } from './tracking.js';

/** Registration states of a model version, identical to MLflow's. */
export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;

/** A model version's registration state. */
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** MLflow's deprecated stages; kept for clients that still call transition-stage / get-latest-versions. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

/** A model version's (deprecated) stage. */
export type ModelStage = (typeof MODEL_STAGES)[number];

/** Runtimes a model package can name. */
export const MODEL_RUNTIMES = ['onnx', 'baseline', 'python_function', 'unknown'] as const;

/** The runtime that loads a package. */
export type ModelRuntime = (typeof MODEL_RUNTIMES)[number];

/** An alias (`champion`, `challenger`, any name) and the version it points at. */
export interface ModelAlias {
  alias: string;
  version: string;
}

/** A registered model: a named line of versions. */
export interface RegisteredModel {
  name: string;
  /** Milliseconds since the Unix epoch. */
  creationTime: number;
  /** Milliseconds since the Unix epoch. */
  lastUpdatedTime: number;
  description: string;
  tags: StringMap;
  /** Sorted by alias. */
  aliases: ModelAlias[];
  /** The newest version in each stage (MLflow's latest_versions). */
  latestVersions: ModelVersion[];
}

/** One file of a model package. */
export interface PackageFile {
  /** Relative to the package root, `/`-separated. */
  path: string;
  size: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** A model package as stored (immutable once registered). */
export interface ModelPackage {
  /** Which manifest was read: `slipway.yaml` or `MLmodel`. */
  manifest: 'slipway.yaml' | 'MLmodel';
  runtime: ModelRuntime;
  /** Runtime-specific entry point, e.g. the ONNX file's path inside the package. */
  entryPoint?: string;
  /** `sha256:<hex>` over the sorted file list (path, size, sha256): the package's identity. */
  digest: string;
  /** Artifact-store path of the immutable copy, e.g. `model-packages/<uuid>`. */
  storagePath: string;
  files: PackageFile[];
  /** Free-form metadata from the manifest (training dataset digest, metrics, library versions). */
  metadata: Record<string, unknown>;
}

/** One version of a registered model. Versions are decimal strings ("1", "2", ...), as in MLflow. */
export interface ModelVersion {
  name: string;
  version: string;
  /** Milliseconds since the Unix epoch. */
  creationTime: number;
  /** Milliseconds since the Unix epoch. */
  lastUpdatedTime: number;
  currentStage: ModelStage;
  description: string;
  userId: string;
  /** Where the model came from, as given (`runs:/<id>/model`, `mlflow-artifacts:/...`). */
  source: string;
  runId: string;
  runLink: string;
  status: ModelVersionStatus;
  statusMessage: string;
  tags: StringMap;
  /** Aliases pointing at this version, sorted. */
  aliases: string[];
  /** Absent when the version carries no contract (e.g. an MLflow model logged without a signature). */
  contract?: ModelContract;
  /** Absent when the source held no model package (metadata-only registration, as MLflow allows). */
  package?: ModelPackage;
}

/** Kinds of registry events (the audit log and the webhook outbox). */
export const REGISTRY_EVENT_TYPES = [
  'registered_model.created',
  'registered_model.renamed',
  'registered_model.deleted',
  'model_version.created',
  'model_version.deleted',
  'alias.set',
  'alias.deleted',
] as const;

/** A kind of registry event. */
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number];

/** The outcome of a promotion gate, recorded with the alias move it allowed (issue: evaluation). */
export interface GateResult {
  passed: boolean;
  /** Free-form evidence: metric values, baseline, margin, evaluation id. */
  [key: string]: unknown;
}

/** One append-only registry event. `seq` orders events; times may repeat. */
export interface RegistryEvent {
  seq: number;
  type: RegistryEventType;
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** Who caused it (a user id, `system`). */
  actor: string;
  modelName: string;
  version?: string;
  alias?: string;
  /** alias events: the version the alias pointed at before (absent when it was unset). */
  fromVersion?: string;
  /** alias events: the version it points at after (absent for `alias.deleted`). */
  toVersion?: string;
  reason?: string;
  gate?: GateResult;
  /** True when a breaking contract change was overridden. */
  forced?: boolean;
  /** Event-specific extras (e.g. the previous name of a renamed model, contract breaks overridden). */
  details?: Record<string, unknown>;
}
