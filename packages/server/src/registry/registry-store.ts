/**
 * The registry store port: registered models, versions, tags, aliases and the append-only registry
 * event log (audit history and webhook outbox in one). Typed with domain types only; every backend
 * passes the contract suite in test/storage/registry-store.contract.ts.
 */
import type {
  GateResult,
  ModelContract,
  ModelPackage,
  ModelStage,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  RegistryEvent,
  RegistryEventType,
  StringMap,
} from '@slipway/contracts';
import type { StringComparator } from '../tracking/search-types.js';
import type { PageRequest } from '../tracking/tracking-store.js';

/** One conjunct of a registered-model filter (`name LIKE 'fraud%' AND tags.team = 'risk'`). */
export type RegisteredModelFilterClause =
  | { entity: 'attribute'; key: 'name'; comparator: StringComparator; value: string }
  | { entity: 'tag'; key: string; comparator: StringComparator; value: string };

/** One conjunct of a model-version filter. */
export type ModelVersionFilterClause =
  | { entity: 'attribute'; key: 'name' | 'run_id' | 'source'; comparator: StringComparator; value: string }
  | { entity: 'attribute'; key: 'name' | 'run_id' | 'version'; comparator: 'IN' | 'NOT IN'; values: string[] }
  | {
      entity: 'attribute';
      key: 'version';
      comparator: '=' | '!=' | '>' | '>=' | '<' | '<=';
      value: number;
    }
  | { entity: 'tag'; key: string; comparator: StringComparator; value: string };

/** Registered-model attributes usable in order_by. */
export type RegisteredModelOrderKey = {
  key: 'name' | 'creation_time' | 'last_updated_time';
  ascending: boolean;
};

/** Model-version attributes usable in order_by. */
export type ModelVersionOrderKey = {
  key: 'name' | 'version' | 'creation_time' | 'last_updated_time';
  ascending: boolean;
};

/** Registered-model search; default order is name ASC. */
export interface RegisteredModelSearchQuery extends PageRequest {
  filter: RegisteredModelFilterClause[];
  orderBy: RegisteredModelOrderKey[];
}

/** Model-version search; default order is name ASC, version DESC. */
export interface ModelVersionSearchQuery extends PageRequest {
  filter: ModelVersionFilterClause[];
  orderBy: ModelVersionOrderKey[];
}

/** Who did something, and when (ms since epoch). Every write records an event with these. */
export interface Actor {
  actor: string;
  now: number;
}

/** Input for creating a registered model. */
export interface NewRegisteredModel extends Actor {
  name: string;
  description: string;
  tags: StringMap;
}

/** Input for creating a model version; the store assigns the next version number atomically. */
export interface NewModelVersion extends Actor {
  name: string;
  source: string;
  runId: string;
  runLink: string;
  description: string;
  tags: StringMap;
  status: ModelVersionStatus;
  statusMessage: string;
  contract?: ModelContract;
  /** The immutable package copy (already written and verified by the service). */
  package?: ModelPackage;
}

/** Fields of a model version that can change after creation (package and contract never do). */
export interface ModelVersionPatch {
  description?: string;
  status?: ModelVersionStatus;
  statusMessage?: string;
  stage?: ModelStage;
}

/**
 * A compare-and-set alias move. `expectedFrom` is the version the caller saw (undefined: the alias
 * was unset); the store refuses with FAILED_PRECONDITION (details.reason = 'alias-moved') when the
 * alias has moved since, so a checked move can never overwrite a concurrent one.
 */
export interface AliasMove extends Actor {
  name: string;
  alias: string;
  expectedFrom: string | undefined;
  /** The version to point at; undefined deletes the alias. */
  to: string | undefined;
  reason?: string;
  gate?: GateResult;
  forced?: boolean;
  details?: Record<string, unknown>;
}

/** Query over the event log, oldest first. */
export interface RegistryEventQuery {
  /** Only events with seq greater than this (a cursor). */
  afterSeq?: number;
  modelName?: string;
  alias?: string;
  types?: RegistryEventType[];
  /** Only events at or before this time (ms since epoch). */
  until?: number;
  limit: number;
}

/**
 * Persistence for the model registry.
 *
 * Error contract (all errors are `SlipwayError`):
 * - NOT_FOUND (details.field = 'name' | 'version' | 'alias') for a missing model, version or tag;
 * - ALREADY_EXISTS (details.field = 'name') when a registered model name is taken;
 * - FAILED_PRECONDITION from moveAlias when `expectedFrom` no longer holds.
 * Every write that changes a model's versions, name or aliases appends its event in the same
 * transaction. A promise that resolves means the write is committed and durable.
 */
export interface RegistryStore {
  /** Creates a registered model (event `registered_model.created`). */
  createRegisteredModel(input: NewRegisteredModel): Promise<RegisteredModel>;
  /** Returns the model with tags, aliases and latest versions per stage, or undefined. */
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  /** Renames a model; versions, tags and aliases follow (event `registered_model.renamed`). */
  renameRegisteredModel(name: string, newName: string, by: Actor): Promise<RegisteredModel>;
  /** Replaces the description. */
  updateRegisteredModel(name: string, description: string, now: number): Promise<RegisteredModel>;
  /** Deletes a model with its versions, tags and aliases; its events stay (event `registered_model.deleted`). */
  deleteRegisteredModel(name: string, by: Actor): Promise<void>;
  /** One page of registered models. */
  searchRegisteredModels(query: RegisteredModelSearchQuery): Promise<RegisteredModel[]>;
  /** Upserts a model tag. */
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  /** Deletes a model tag (NOT_FOUND if absent). */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  /** Creates the next version of a model (event `model_version.created`). */
  createModelVersion(input: NewModelVersion): Promise<ModelVersion>;
  /** Returns a version with tags and aliases, or undefined. */
  getModelVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  /** Updates the mutable fields of a version. */
  updateModelVersion(
    name: string,
    version: string,
    patch: ModelVersionPatch,
    now: number,
  ): Promise<ModelVersion>;
  /** Deletes a version; aliases on it are removed, each with an `alias.deleted` event (event `model_version.deleted`). */
  deleteModelVersion(name: string, version: string, by: Actor): Promise<void>;
  /** One page of versions. */
  searchModelVersions(query: ModelVersionSearchQuery): Promise<ModelVersion[]>;
  /** Upserts a version tag. */
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  /** Deletes a version tag (NOT_FOUND if absent). */
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;

  /** The version an alias points at, or undefined when unset (NOT_FOUND when the model is missing). */
  getAlias(name: string, alias: string): Promise<string | undefined>;
  /** Compare-and-set alias move (see AliasMove); returns the appended event. */
  moveAlias(move: AliasMove): Promise<RegistryEvent>;

  /** Events matching the query, oldest first. */
  listEvents(query: RegistryEventQuery): Promise<RegistryEvent[]>;
}
