/**
 * `client.models`: the model registry. Registered models and versions, contract-checked aliases
 * (`setAlias` refuses a breaking move with a FailedPreconditionError whose `details.breaks` lists the
 * breaks, unless `force`), `models:/` resolution, the audited history and contract diffs.
 *
 * Model names may not contain `/` or `@` (the server refuses them); every other character is
 * percent-encoded here, so callers pass names as they are.
 */
import type {
  AliasAtTime,
  AliasMoveResponse,
  AliasesAtResponse,
  CompatibilityMode,
  CompatibilityReport,
  ContractDiffResponse,
  DownloadUriResponse,
  EvaluationPolicy,
  EvaluationPolicyResponse,
  GateResult,
  GateVerdict,
  ModelContract,
  ModelVersion,
  ModelVersionListResponse,
  ModelVersionResponse,
  PromoteRequest,
  PromoteResponse,
  RegisteredModel,
  RegisteredModelListResponse,
  RegisteredModelResponse,
  RegistryEvent,
  RegistryEventListResponse,
  RegistryEventResponse,
  StringMap,
} from '@slipway/contracts';
import { FailedPreconditionError } from './errors.js';
import { Paginated } from './paginated.js';
import { pathOf, type QueryValues, type Transport } from './transport.js';

/** A version number as a string (`"3"`) or a number (`3`). */
export type VersionRef = string | number;

/** Input of `models.create`. */
export interface CreateModelInput {
  /** Unique; `/` and `@` are not allowed. */
  name: string;
  description?: string;
  tags?: StringMap;
}

/** Options of `models.search` and `models.searchVersions` (MLflow registry filter grammar). */
export interface RegistrySearchOptions {
  /** Models: `name LIKE 'fraud%' AND tags.team = 'risk'`; versions: `name = 'fraud' AND version_number > 2`. */
  filter?: string;
  /** e.g. `['name ASC']`, `['last_updated_timestamp DESC']`, `['version_number DESC']`. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/** A page of registered models. */
export interface RegisteredModelPage {
  registeredModels: RegisteredModel[];
  /** Pass as `pageToken` to get the next page; absent on the last page. */
  nextPageToken?: string;
}

/** A page of model versions. */
export interface ModelVersionPage {
  modelVersions: ModelVersion[];
  /** Pass as `pageToken` to get the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Input of `models.createVersion` (and, with `name`, of `models.register`). */
export interface CreateVersionInput {
  /**
   * `runs:/<runId>/<path>` or `mlflow-artifacts:/<path>`: a package there is copied and digested;
   * any other URI is recorded as given.
   */
  source: string;
  /** The run that produced the model (lineage). */
  runId?: string;
  runLink?: string;
  description?: string;
  tags?: StringMap;
  /** A declared contract; overrides the package's. */
  contract?: ModelContract;
}

/** Input of `models.register`: the model is created when it does not exist yet. */
export interface RegisterModelInput extends CreateVersionInput {
  name: string;
}

/** Options of `models.setAlias`. */
export interface SetAliasOptions {
  /** Recorded in the history. */
  reason?: string;
  /** Move even when the contract breaks the current version's (recorded as forced). */
  force?: boolean;
  /** The promotion gate's outcome, recorded with the move. */
  gate?: GateResult;
}

/** The outcome of `models.setAlias`: the audit event and the contract check that allowed the move. */
export interface AliasMove {
  event: RegistryEvent;
  /** Absent when there was nothing to compare (first assignment, no contract, mode `none`). */
  compatibility?: CompatibilityReport;
}

/** Options of `models.history`. */
export interface HistoryOptions {
  /** Only this alias's events. */
  alias?: string;
  /** Only events after this `seq` (to continue from the last event seen). */
  afterSeq?: number;
  /** At most this many events (default 1000, max 10000). */
  limit?: number;
}

/** Options of `models.promote`. */
export type PromoteOptions = PromoteRequest;

/** A moment: a `Date`, ms since the epoch, or an ISO 8601 string (zone-less times are UTC). */
export type Moment = Date | number | string;

/** Registry operations of a client. */
export class ModelsApi {
  constructor(private readonly http: Transport) {}

  // ---- registered models ----------------------------------------------------------------------

  /** Creates a registered model; AlreadyExistsError if the name is taken. */
  async create(input: CreateModelInput): Promise<RegisteredModel> {
    const response = await this.http.json<RegisteredModelResponse>('POST', '/models', { json: input });
    return response.registeredModel;
  }

  /** Returns a registered model with its aliases and latest versions; NotFoundError if absent. */
  async get(name: string): Promise<RegisteredModel> {
    return (await this.http.json<RegisteredModelResponse>('GET', pathOf('models', name))).registeredModel;
  }

  /** Returns one page of registered models (default order: name ascending). */
  async search(options: RegistrySearchOptions = {}): Promise<RegisteredModelPage> {
    return this.http.json<RegisteredModelListResponse>('GET', '/models', { query: searchQuery(options) });
  }

  /** Iterates over every registered model matching the options, fetching pages as needed. */
  searchAll(options: Omit<RegistrySearchOptions, 'pageToken'> = {}): Paginated<RegisteredModel> {
    return new Paginated(async (pageToken) => {
      const page = await this.search({ ...options, pageToken });
      return { items: page.registeredModels, nextPageToken: page.nextPageToken };
    });
  }

  /** Renames a model (its versions, aliases and history follow) and returns it. */
  async rename(name: string, newName: string): Promise<RegisteredModel> {
    return this.patch(name, { name: newName });
  }

  /** Replaces a model's description and returns it. */
  async update(name: string, changes: { description: string }): Promise<RegisteredModel> {
    return this.patch(name, { description: changes.description });
  }

  /** Deletes a model with its versions and aliases. */
  async delete(name: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('models', name));
  }

  /** Sets a model tag (`slipway.contract_compatibility` chooses how alias moves are checked). */
  async setTag(name: string, key: string, value: string): Promise<void> {
    await this.http.empty('PUT', pathOf('models', name, 'tags', key), { json: { value } });
  }

  /** Deletes a model tag; NotFoundError if it is not set. */
  async deleteTag(name: string, key: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('models', name, 'tags', key));
  }

  // ---- versions -------------------------------------------------------------------------------

  /** Registers the next version of an existing model. */
  async createVersion(name: string, input: CreateVersionInput): Promise<ModelVersion> {
    const path = `${pathOf('models', name)}/versions`;
    return (await this.http.json<ModelVersionResponse>('POST', path, { json: input })).modelVersion;
  }

  /** Registers a version, creating the model first when it does not exist (as `mlflow.register_model`). */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
    return (await this.http.json<ModelVersionResponse>('POST', '/models/register', { json: input }))
      .modelVersion;
  }

  /** Returns a version with its contract and package; NotFoundError if absent. */
  async getVersion(name: string, version: VersionRef): Promise<ModelVersion> {
    return (await this.http.json<ModelVersionResponse>('GET', versionPath(name, version))).modelVersion;
  }

  /** Replaces a version's description and returns it. */
  async updateVersion(
    name: string,
    version: VersionRef,
    changes: { description: string },
  ): Promise<ModelVersion> {
    const json = { description: changes.description };
    return (await this.http.json<ModelVersionResponse>('PATCH', versionPath(name, version), { json }))
      .modelVersion;
  }

  /** Returns one page of versions across models (default order: name ascending, version descending). */
  async searchVersions(options: RegistrySearchOptions = {}): Promise<ModelVersionPage> {
    return this.http.json<ModelVersionListResponse>('GET', '/model-versions', {
      query: searchQuery(options),
    });
  }

  /** Iterates over every version matching the options, fetching pages as needed. */
  searchVersionsAll(options: Omit<RegistrySearchOptions, 'pageToken'> = {}): Paginated<ModelVersion> {
    return new Paginated(async (pageToken) => {
      const page = await this.searchVersions({ ...options, pageToken });
      return { items: page.modelVersions, nextPageToken: page.nextPageToken };
    });
  }

  /** Deletes a version and the aliases pointing at it. */
  async deleteVersion(name: string, version: VersionRef): Promise<void> {
    await this.http.empty('DELETE', versionPath(name, version));
  }

  /** Sets a version tag. */
  async setVersionTag(name: string, version: VersionRef, key: string, value: string): Promise<void> {
    await this.http.empty('PUT', `${versionPath(name, version)}${pathOf('tags', key)}`, { json: { value } });
  }

  /** Deletes a version tag; NotFoundError if it is not set. */
  async deleteVersionTag(name: string, version: VersionRef, key: string): Promise<void> {
    await this.http.empty('DELETE', `${versionPath(name, version)}${pathOf('tags', key)}`);
  }

  /** Where the version's files can be downloaded: its immutable package copy, else its source. */
  async downloadUri(name: string, version: VersionRef): Promise<string> {
    const path = `${versionPath(name, version)}/download-uri`;
    return (await this.http.json<DownloadUriResponse>('GET', path)).artifactUri;
  }

  // ---- aliases --------------------------------------------------------------------------------

  /**
   * Points an alias at a version. A contract-breaking move throws FailedPreconditionError
   * (`details.breaks` lists each break) unless `force` is set.
   */
  async setAlias(
    name: string,
    alias: string,
    version: VersionRef,
    options: SetAliasOptions = {},
  ): Promise<AliasMove> {
    const json = { version: String(version), ...options };
    return this.http.json<AliasMoveResponse>('PUT', pathOf('models', name, 'aliases', alias), { json });
  }

  /** Removes an alias and returns the audit event; NotFoundError when it is not set. */
  async deleteAlias(name: string, alias: string, options: { reason?: string } = {}): Promise<RegistryEvent> {
    const path = pathOf('models', name, 'aliases', alias);
    // In the query: a DELETE body is dropped by some proxies.
    const response = await this.http.json<RegistryEventResponse>('DELETE', path, {
      query: { reason: options.reason },
    });
    return response.event;
  }

  /** The version an alias points at; NotFoundError when the alias is not set. */
  async getByAlias(name: string, alias: string): Promise<ModelVersion> {
    const path = pathOf('models', name, 'aliases', alias);
    return (await this.http.json<ModelVersionResponse>('GET', path)).modelVersion;
  }

  /** Resolves `models:/fraud@champion`, `models:/fraud/3`, `models:/fraud/latest` or `models:/fraud/Production`. */
  async resolve(uri: string): Promise<ModelVersion> {
    return (await this.http.json<ModelVersionResponse>('GET', '/resolve', { query: { uri } })).modelVersion;
  }

  // ---- history and contracts ------------------------------------------------------------------

  /** The model's audited registry events, oldest first. */
  async history(name: string, options: HistoryOptions = {}): Promise<RegistryEvent[]> {
    const query: QueryValues = { alias: options.alias, afterSeq: options.afterSeq, limit: options.limit };
    const path = `${pathOf('models', name)}/history`;
    return (await this.http.json<RegistryEventListResponse>('GET', path, { query })).events;
  }

  /** What each alias (or only `alias`) pointed at, at moment `at`: "which version served fraud@champion on March 3rd?". */
  async aliasesAt(name: string, at: Moment, options: { alias?: string } = {}): Promise<AliasAtTime[]> {
    const query: QueryValues = { at: at instanceof Date ? at.getTime() : at, alias: options.alias };
    const path = `${pathOf('models', name)}/aliases-at`;
    return (await this.http.json<AliasesAtResponse>('GET', path, { query })).aliases;
  }

  /** Compares two versions' contracts (`backward` by default); FailedPreconditionError when one has none. */
  async diffContract(
    name: string,
    from: VersionRef,
    to: VersionRef,
    options: { mode?: CompatibilityMode } = {},
  ): Promise<CompatibilityReport> {
    const query: QueryValues = { from: String(from), to: String(to), mode: options.mode };
    const path = `${pathOf('models', name)}/contract-diff`;
    return (await this.http.json<ContractDiffResponse>('GET', path, { query })).compatibility;
  }

  // ---- evaluation policy and gated promotion ------------------------------------------------

  /** Sets (or replaces) the model's evaluation policy: the held-out data, baseline and gate `promote` uses. */
  async setEvaluationPolicy(name: string, policy: EvaluationPolicy): Promise<EvaluationPolicy> {
    const path = `${pathOf('models', name)}/evaluation-policy`;
    return (await this.http.json<EvaluationPolicyResponse>('PUT', path, { json: policy })).policy;
  }

  /** The model's evaluation policy; NotFoundError when it has none. */
  async getEvaluationPolicy(name: string): Promise<EvaluationPolicy> {
    const path = `${pathOf('models', name)}/evaluation-policy`;
    return (await this.http.json<EvaluationPolicyResponse>('GET', path)).policy;
  }

  /** Removes the model's evaluation policy. */
  async deleteEvaluationPolicy(name: string): Promise<void> {
    await this.http.empty('DELETE', `${pathOf('models', name)}/evaluation-policy`);
  }

  /**
   * Evaluates `version` against the policy's baseline and, when the gate passes (or `force` is set),
   * points `alias` at it; the alias event records the verdict. A failing gate without `force` throws
   * FailedPreconditionError whose `details` carry `evaluationId` and `verdict` (see `gateVerdictOf`);
   * a model without a policy is FailedPreconditionError too.
   */
  async promote(name: string, version: VersionRef, options: PromoteOptions): Promise<PromoteResponse> {
    const path = `${versionPath(name, version)}/promote`;
    return this.http.json<PromoteResponse>('POST', path, { json: options });
  }

  private async patch(name: string, json: { name?: string; description?: string }): Promise<RegisteredModel> {
    return (await this.http.json<RegisteredModelResponse>('PATCH', pathOf('models', name), { json }))
      .registeredModel;
  }
}

/**
 * The gate verdict a refused promotion carries in its error details, or undefined when `error` is
 * not such a refusal (e.g. the model has no evaluation policy).
 */
export function gateVerdictOf(error: unknown): GateVerdict | undefined {
  if (!(error instanceof FailedPreconditionError)) return undefined;
  const verdict = error.details['verdict'];
  if (typeof verdict !== 'object' || verdict === null || Array.isArray(verdict)) return undefined;
  const candidate = verdict as Partial<GateVerdict>;
  if (typeof candidate.passed !== 'boolean' || !Array.isArray(candidate.reasons)) return undefined;
  return verdict as GateVerdict;
}

function versionPath(name: string, version: VersionRef): string {
  return pathOf('models', name, 'versions', String(version));
}

function searchQuery(options: RegistrySearchOptions): QueryValues {
  const { filter, orderBy, maxResults, pageToken } = options;
  return { filter, orderBy, maxResults, pageToken };
}
