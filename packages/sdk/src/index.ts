/** Slipway's TypeScript SDK: `new SlipwayClient({ url })`. Domain types and error codes come from contracts. */
export { SlipwayClient, type SlipwayClientOptions, type StartRunOptions } from './client.js';
export {
  ExperimentsApi,
  type CreateExperimentInput,
  type ExperimentPage,
  type SearchExperimentsOptions,
} from './experiments.js';
export {
  RunsApi,
  type CreateRunInput,
  type LogBatchInput,
  type MetricHistoryOptions,
  type MetricPoint,
  type RunPage,
  type RunUpdate,
  type SearchRunsOptions,
} from './runs.js';
export { ArtifactsApi, type ArtifactData } from './artifacts.js';
export {
  ModelsApi,
  gateVerdictOf,
  type AliasMove,
  type CreateModelInput,
  type CreateVersionInput,
  type HistoryOptions,
  type ModelVersionPage,
  type Moment,
  type PromoteOptions,
  type RegisterModelInput,
  type RegisteredModelPage,
  type RegistrySearchOptions,
  type SetAliasOptions,
  type VersionRef,
} from './models.js';
export { EvaluationsApi, type ListEvaluationsOptions } from './evaluations.js';
export { BaselinesApi } from './baselines.js';
export { RunLogger, LOG_BATCH_LIMITS, type RunLoggerOptions } from './run-logger.js';
export { Paginated, type PageOf } from './paginated.js';
export { USER_HEADER, type FetchLike, type TransportOptions } from './transport.js';
export {
  SlipwayApiError,
  InvalidArgumentError,
  NotFoundError,
  AlreadyExistsError,
  FailedPreconditionError,
  PayloadTooLargeError,
  UnavailableError,
  InternalError,
} from './errors.js';
export {
  SlipwayError,
  type AliasAtTime,
  type CompatibilityMode,
  type CompatibilityReport,
  type ContractChange,
  type GateResult,
  type BaselineFit,
  type BootstrapSpec,
  type CreateBaselineRequest,
  type CreateBaselineResponse,
  type CreateEvaluationRequest,
  type DatasetRef,
  type EvaluatedModelRef,
  type Evaluation,
  type EvaluationModel,
  type EvaluationPolicy,
  type EvaluationReport,
  type EvaluationTask,
  type GateSpec,
  type GateVerdict,
  type ModelVersionRef,
  type PromoteRequest,
  type PromoteResponse,
  type SliceSpec,
  type ModelContract,
  type ModelPackage,
  type ModelVersion,
  type RegisteredModel,
  type RegistryEvent,
  type ArtifactInfo,
  type Dataset,
  type DatasetInput,
  type ErrorCode,
  type ErrorDetails,
  type Experiment,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  type StringMap,
  type ViewType,
} from '@slipway/contracts';
