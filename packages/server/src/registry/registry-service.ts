/**
 * Model registry use cases: registered models, versions with their immutable packages and typed
 * contracts, aliases moved through a contract check with an audited history, and `models:/` URI
 * resolution (cached). Every API surface (native REST, MLflow compat, CLI) goes through here.
 */
import { randomUUID } from 'node:crypto';
import {
  SlipwayError,
  definedFields,
  invalidArgument,
  notFound,
  type CompatibilityMode,
  type CompatibilityReport,
  type GateResult,
  type ModelContract,
  type ModelPackage,
  type ModelStage,
  type ModelVersion,
  type RegisteredModel,
  type RegistryEvent,
  type StringMap,
} from '@slipway/contracts';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import { decodePageToken } from '../tracking/page-token.js';
import { pageOf, type Page, type TrackingService } from '../tracking/tracking-service.js';
import { resolveMaxResults } from '../tracking/tracking-validation.js';
import { protectedAliasesOf } from './protected-aliases.js';
import { AliasCache } from './alias-cache.js';
import { assertValidContract, compareContracts } from './contract-compat.js';
import { copyPackage, inspectPackage, verifyPackage } from './model-package.js';
import { resolveModelSource } from './model-source.js';
import { parseModelUri } from './model-uri.js';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from './registry-search.js';
import type { Actor, RegistryStore } from './registry-store.js';
import {
  COMPATIBILITY_TAG,
  compatibilityModeOf,
  validateAlias,
  validateDescription,
  validateModelName,
  validateRegistryTags,
  validateVersion,
} from './registry-validation.js';

/** Where immutable package copies live in the artifact store. */
export const PACKAGE_ROOT = 'model-packages';

/** Page-size defaults and limits, as MLflow 2.12's registry. */
const MODEL_PAGE = { default: 100, max: 1000 };
const VERSION_PAGE = { default: 10_000, max: 200_000 };

/** Attempts at a compare-and-set alias move before giving up under contention. */
const MAX_ALIAS_ATTEMPTS = 20;

/** What the service needs from the outside world. */
export interface RegistryServiceDeps {
  store: RegistryStore;
  tracking: Pick<TrackingService, 'getRunInfo'>;
  artifacts: ArtifactStore;
  /** ms since epoch; injected so tests control time. */
  now?: () => number;
  /** Ids of package copies. */
  newId?: () => string;
  /** How long an alias resolution may be served from cache (ms); 0 disables caching. */
  aliasCacheTtlMs?: number;
  /** Called after every committed write that appends a registry event (wakes the webhook dispatcher). */
  onEvent?: () => void;
  /**
   * Called after a version is committed (monitoring profiles its training data in the background).
   * It must not block; whatever it throws is logged and never fails the registration.
   */
  onVersionCreated?: (version: ModelVersion) => void;
}

/** Search input shared by models and versions (strings are parsed here). */
export interface RegistrySearchInput {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/** Input for registering a new version. */
export interface CreateVersionInput {
  name: string;
  /** `runs:/<run>/<path>`, `mlflow-artifacts:/<path>`, or any URI (recorded, not copied). */
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  tags?: StringMap;
  /** A declared contract; overrides the package's. */
  contract?: ModelContract;
}

/** Input for moving an alias. */
export interface SetAliasInput {
  name: string;
  alias: string;
  version: string;
  reason?: string;
  /** Move even when the new version's contract breaks the current one's. */
  force?: boolean;
  gate?: GateResult;
  /**
   * Set only by gated promotion (never from a request body): the move went through the model's
   * gate, which is the only way to move an alias its evaluation policy protects.
   */
  viaGate?: boolean;
}

/** The outcome of an alias move: the audit event and the contract check that allowed it. */
export interface AliasMoveResult {
  event: RegistryEvent;
  compatibility?: CompatibilityReport;
}

/** An alias's version at a moment, and the event that put it there. */
export interface AliasAtTime {
  alias: string;
  version?: string;
  since?: RegistryEvent;
}

/** Model registry use cases. */
export class RegistryService {
  private readonly store: RegistryStore;
  private readonly tracking: Pick<TrackingService, 'getRunInfo'>;
  private readonly artifacts: ArtifactStore;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly cache: AliasCache;
  private readonly onEvent: () => void;
  private readonly onVersionCreated: (version: ModelVersion) => void;

  constructor(deps: RegistryServiceDeps) {
    this.store = deps.store;
    this.tracking = deps.tracking;
    this.artifacts = deps.artifacts;
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID().replaceAll('-', ''));
    this.cache = new AliasCache(deps.aliasCacheTtlMs ?? 5_000, this.now);
    this.onEvent = deps.onEvent ?? (() => undefined);
    this.onVersionCreated = deps.onVersionCreated ?? (() => undefined);
  }

  // ---- registered models ----------------------------------------------------------------------

  /** Creates a registered model; ALREADY_EXISTS if the name is taken. */
  async createRegisteredModel(
    input: { name: string; description?: string; tags?: StringMap },
    actor: string,
  ): Promise<RegisteredModel> {
    const model = await this.store.createRegisteredModel({
      name: validateModelName(input.name),
      description: validateDescription(input.description),
      tags: validateRegistryTags(input.tags ?? {}),
      ...this.by(actor),
    });
    this.onEvent();
    return model;
  }

  /** Returns a registered model; NOT_FOUND naming it if absent. */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const model = await this.store.getRegisteredModel(validateModelName(name));
    if (model === undefined) throw modelNotFound(name);
    return model;
  }

  /** Renames a model (versions, tags, aliases and history follow). */
  async renameRegisteredModel(name: string, newName: string, actor: string): Promise<RegisteredModel> {
    const model = await this.store.renameRegisteredModel(
      validateModelName(name),
      validateModelName(newName, 'new_name'),
      this.by(actor),
    );
    this.cache.invalidate(name);
    this.onEvent();
    return model;
  }

  /** Replaces a model's description; an absent description leaves it as it is. */
  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    if (description === undefined) return this.getRegisteredModel(name);
    return this.store.updateRegisteredModel(
      validateModelName(name),
      validateDescription(description),
      this.now(),
    );
  }

  /** Deletes a model with its versions; their package copies stay (docs/registry.md says why). */
  async deleteRegisteredModel(name: string, actor: string): Promise<void> {
    await this.store.deleteRegisteredModel(validateModelName(name), this.by(actor));
    this.cache.invalidate(name);
    this.onEvent();
  }

  /** One page of registered models (MLflow filter grammar). */
  async searchRegisteredModels(input: RegistrySearchInput): Promise<Page<RegisteredModel>> {
    const limit = resolveMaxResults(input.maxResults, 'max_results', MODEL_PAGE);
    const offset = decodePageToken(input.pageToken);
    const items = await this.store.searchRegisteredModels({
      filter: parseRegisteredModelFilter(input.filter),
      orderBy: parseRegisteredModelOrderBy(input.orderBy),
      offset,
      limit,
    });
    return pageOf(items, offset, limit);
  }

  /** Sets a model tag (`slipway.contract_compatibility` chooses the alias check's mode). */
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateRegistryTags({ [key]: value }, 'tags');
    await this.store.setRegisteredModelTag(validateModelName(name), key, value);
  }

  /** Deletes a model tag; NOT_FOUND if it is not set. */
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.store.deleteRegisteredModelTag(validateModelName(name), key);
  }

  // ---- versions -------------------------------------------------------------------------------

  /**
   * Registers the next version. A source inside the artifact store that holds a package manifest is
   * inspected, copied to an immutable location and digested; a bad package is refused and nothing
   * is left behind. Other sources are recorded as given, as MLflow does.
   */
  async createModelVersion(input: CreateVersionInput, actor: string): Promise<ModelVersion> {
    const name = validateModelName(input.name);
    if (input.source.trim() === '')
      throw invalidArgument('source', "Missing value for required field 'source'.");
    if (input.contract !== undefined) assertValidContract(input.contract, 'contract');
    const tags = validateRegistryTags(input.tags ?? {});
    await this.getRegisteredModel(name);
    const sourcePath = await this.sourcePathOf(input.source);
    if (input.runId) await this.tracking.getRunInfo(input.runId);
    const pkg = sourcePath === undefined ? undefined : await this.copyPackageFrom(sourcePath, input.contract);
    const contract = input.contract ?? pkg?.contract;
    try {
      const version = await this.store.createModelVersion({
        name,
        source: input.source,
        runId: input.runId ?? '',
        runLink: input.runLink ?? '',
        description: validateDescription(input.description),
        tags,
        status: 'READY',
        statusMessage: '',
        ...(contract === undefined ? {} : { contract }),
        ...(pkg === undefined ? {} : { package: pkg.package }),
        ...this.by(actor),
      });
      this.onEvent();
      this.announceVersion(version);
      return version;
    } catch (err) {
      if (pkg !== undefined) await this.artifacts.delete(pkg.package.storagePath);
      throw err;
    }
  }

  /** Tells onVersionCreated about a committed version; a hook that throws cannot undo the registration. */
  private announceVersion(version: ModelVersion): void {
    try {
      this.onVersionCreated(version);
    } catch (err) {
      console.error('after-registration hook failed:', err instanceof Error ? err.message : err);
    }
  }

  /** Creates the model when missing, then registers a version (what `mlflow.register_model` does). */
  async registerModel(input: CreateVersionInput, actor: string): Promise<ModelVersion> {
    try {
      await this.createRegisteredModel({ name: input.name }, actor);
    } catch (err) {
      if (!(err instanceof SlipwayError && err.code === 'ALREADY_EXISTS')) throw err;
    }
    return this.createModelVersion(input, actor);
  }

  /** Returns a version; NOT_FOUND naming model and version if absent. */
  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const found = await this.store.getModelVersion(validateModelName(name), validateVersion(version));
    if (found === undefined) throw versionNotFound(name, version);
    return found;
  }

  /**
   * Updates a version's description; an absent description leaves it as it is. This and every other
   * write to a version drops the model's cached alias resolutions, which carry the version's fields.
   */
  async updateModelVersion(
    name: string,
    version: string,
    description: string | undefined,
  ): Promise<ModelVersion> {
    const patch = description === undefined ? {} : { description: validateDescription(description) };
    const updated = await this.store.updateModelVersion(
      validateModelName(name),
      validateVersion(version),
      patch,
      this.now(),
    );
    this.cache.invalidate(name);
    return updated;
  }

  /**
   * Moves a version to one of MLflow's deprecated stages (kept for older clients). With
   * `archiveExisting`, the model's other versions in that stage move to Archived, as MLflow does.
   */
  async transitionStage(
    name: string,
    version: string,
    stage: ModelStage,
    options: { archiveExisting?: boolean } = {},
  ): Promise<ModelVersion> {
    validateModelName(name);
    validateVersion(version);
    if (options.archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidArgument(
        'archive_existing_versions',
        `Cannot archive existing versions when moving to '${stage}': only Staging and Production are active stages.`,
      );
    }
    const moved = await this.store.updateModelVersion(name, version, { stage }, this.now());
    this.cache.invalidate(name);
    if (!options.archiveExisting) return moved;
    for (const other of await this.versionsInStage(name, stage)) {
      if (other.version !== version)
        await this.store.updateModelVersion(name, other.version, { stage: 'Archived' }, this.now());
    }
    return this.getModelVersion(name, version);
  }

  /** Deletes a version and the aliases on it (each removal is audited). */
  async deleteModelVersion(name: string, version: string, actor: string): Promise<void> {
    await this.store.deleteModelVersion(validateModelName(name), validateVersion(version), this.by(actor));
    this.cache.invalidate(name);
    this.onEvent();
  }

  /** One page of versions (MLflow filter grammar); default order name ASC, version DESC. */
  async searchModelVersions(input: RegistrySearchInput): Promise<Page<ModelVersion>> {
    const limit = resolveMaxResults(input.maxResults, 'max_results', VERSION_PAGE);
    const offset = decodePageToken(input.pageToken);
    const items = await this.store.searchModelVersions({
      filter: parseModelVersionFilter(input.filter),
      orderBy: parseModelVersionOrderBy(input.orderBy),
      offset,
      limit,
    });
    return pageOf(items, offset, limit);
  }

  /** The newest version in each of `stages` (all stages when empty), as MLflow's get-latest-versions. */
  async getLatestVersions(name: string, stages: string[] = []): Promise<ModelVersion[]> {
    const model = await this.getRegisteredModel(name);
    const wanted = new Set(stages.map((s) => s.toLowerCase()));
    return model.latestVersions.filter((v) => wanted.size === 0 || wanted.has(v.currentStage.toLowerCase()));
  }

  /** Sets a version tag. */
  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    validateRegistryTags({ [key]: value }, 'tags');
    await this.store.setModelVersionTag(validateModelName(name), validateVersion(version), key, value);
    this.cache.invalidate(name);
  }

  /** Deletes a version tag; NOT_FOUND if it is not set. */
  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.store.deleteModelVersionTag(validateModelName(name), validateVersion(version), key);
    this.cache.invalidate(name);
  }

  /** Where a client downloads a version's files: its immutable package copy, else its source. */
  async getDownloadUri(name: string, version: string): Promise<string> {
    const found = await this.getModelVersion(name, version);
    if (found.package) return `mlflow-artifacts:/${found.package.storagePath}`;
    return resolveDownloadSource(found.source, this.tracking);
  }

  private async versionsInStage(name: string, stage: ModelStage): Promise<ModelVersion[]> {
    const found: ModelVersion[] = [];
    for (let offset = 0; ; offset += VERSION_PAGE.default) {
      const page = await this.store.searchModelVersions({
        filter: [{ entity: 'attribute', key: 'name', comparator: '=', value: name }],
        orderBy: [],
        offset,
        limit: VERSION_PAGE.default,
      });
      found.push(...page.filter((v) => v.currentStage === stage));
      if (page.length < VERSION_PAGE.default) return found;
    }
  }

  /**
   * Returns a version's package after re-checking its content digest (the rule on every load), and
   * with `readEntryPoint` the entry point's verified bytes (read once, while hashing).
   */
  async loadPackage(
    name: string,
    version: string,
    options: { readEntryPoint?: boolean } = {},
  ): Promise<{ version: ModelVersion; package: ModelPackage; entryPoint?: Buffer }> {
    const found = await this.getModelVersion(name, version);
    if (found.package === undefined) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Model version ${name}/${version} has no model package to load.`,
        {
          field: 'version',
        },
      );
    }
    const keep = options.readEntryPoint ? found.package.entryPoint : undefined;
    const entryPoint = await verifyPackage(this.artifacts, found.package, keep === undefined ? {} : { keep });
    return { version: found, package: found.package, ...(entryPoint === undefined ? {} : { entryPoint }) };
  }

  // ---- aliases --------------------------------------------------------------------------------

  /**
   * Points an alias at a version. When it already points at a version with a contract, the new
   * contract is checked in the model's compatibility mode; a breaking move is refused (listing the
   * breaks) unless forced. Concurrent moves are serialized by compare-and-set: none is lost.
   */
  async setAlias(input: SetAliasInput, actor: string): Promise<AliasMoveResult> {
    const name = validateModelName(input.name);
    const alias = validateAlias(input.alias);
    const model = await this.getRegisteredModel(name);
    if (input.viaGate !== true && protectedAliasesOf(model.tags).includes(alias)) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Alias '${alias}' of '${name}' is protected by its evaluation policy: only a gated promotion ` +
          `moves it (slipway models promote ${name} ${input.version} --alias ${alias}).`,
        { field: 'alias' },
      );
    }
    const mode = compatibilityModeOf(model.tags[COMPATIBILITY_TAG]);
    const target = await this.getModelVersion(name, validateVersion(input.version));
    for (let attempt = 0; attempt < MAX_ALIAS_ATTEMPTS; attempt++) {
      const current = await this.store.getAlias(name, alias);
      const compatibility = await this.checkMove(name, current, target, mode);
      const breaking = compatibility !== undefined && !compatibility.compatible;
      if (breaking && !input.force)
        throw contractBreaks(name, alias, current ?? '', target.version, compatibility);
      const event = await this.tryMove({
        name,
        alias,
        expectedFrom: current,
        to: target.version,
        ...definedFields({ reason: input.reason, gate: input.gate }),
        ...(breaking
          ? { forced: true, details: { breaks: compatibility.changes.filter((c) => c.breaking) } }
          : {}),
        ...this.by(actor),
      });
      if (event !== undefined) return { event, ...(compatibility ? { compatibility } : {}) };
    }
    throw aliasContention(name, alias);
  }

  /** Removes an alias (audited); NOT_FOUND when it is not set. */
  async deleteAlias(
    input: { name: string; alias: string; reason?: string },
    actor: string,
  ): Promise<RegistryEvent> {
    const name = validateModelName(input.name);
    const alias = validateAlias(input.alias);
    for (let attempt = 0; attempt < MAX_ALIAS_ATTEMPTS; attempt++) {
      const current = await this.store.getAlias(name, alias);
      if (current === undefined) throw aliasNotFound(name, alias);
      const event = await this.tryMove({
        name,
        alias,
        expectedFrom: current,
        to: undefined,
        ...definedFields({ reason: input.reason }),
        ...this.by(actor),
      });
      if (event !== undefined) return event;
    }
    throw aliasContention(name, alias);
  }

  /** The version an alias points at (served from cache within its TTL); NOT_FOUND when unset. */
  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const cached = this.cache.get(name, alias);
    if (cached !== undefined) return cached;
    validateModelName(name);
    validateAlias(alias);
    const version = await this.store.getAlias(name, alias);
    if (version === undefined) throw aliasNotFound(name, alias);
    const found = await this.getModelVersion(name, version);
    this.cache.set(name, alias, found);
    return found;
  }

  /** Resolves `models:/name/3`, `models:/name@alias`, `models:/name/latest` or `models:/name/<Stage>`. */
  async resolveModelUri(uri: string, field = 'model_uri'): Promise<ModelVersion> {
    const ref = parseModelUri(uri, field);
    switch (ref.kind) {
      case 'version':
        return this.getModelVersion(ref.name, ref.version);
      case 'alias':
        return this.getVersionByAlias(ref.name, ref.alias);
      case 'latest':
      case 'stage': {
        const model = await this.getRegisteredModel(ref.name);
        const candidates = model.latestVersions.filter(
          (v) => ref.kind === 'latest' || v.currentStage === ref.stage,
        );
        const newest = candidates.sort((a, b) => Number(b.version) - Number(a.version))[0];
        if (newest === undefined)
          throw notFound(`No version of registered model '${ref.name}' matches ${uri}.`, { field });
        return this.getModelVersion(ref.name, newest.version);
      }
    }
  }

  // ---- history and contracts ------------------------------------------------------------------

  /** The model's registry events, oldest first (all aliases, or one); NOT_FOUND for an unknown model name with no history. */
  async history(
    name: string,
    options: { alias?: string; afterSeq?: number; limit?: number; aliasEventsOnly?: boolean } = {},
  ): Promise<RegistryEvent[]> {
    validateModelName(name);
    const events = await this.store.listEvents({
      modelName: name,
      limit: resolveMaxResults(options.limit, 'limit', { default: 1000, max: 10_000 }),
      ...(options.alias === undefined ? {} : { alias: validateAlias(options.alias) }),
      ...(options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq }),
      ...(options.aliasEventsOnly ? { types: ['alias.set' as const, 'alias.deleted' as const] } : {}),
    });
    if (events.length === 0 && options.afterSeq === undefined) await this.getRegisteredModel(name);
    return events;
  }

  /**
   * What every alias of a model pointed at, at time `at` (ms since epoch): replays the alias events
   * up to that moment. Answers "which version served fraud@champion on March 3rd?".
   */
  async aliasesAt(name: string, at: number, alias?: string): Promise<AliasAtTime[]> {
    validateModelName(name);
    if (!Number.isSafeInteger(at) || at < 0)
      throw invalidArgument('at', `Invalid time ${at}: expected ms since the epoch.`);
    const live = new Map<string, RegistryEvent>();
    let afterSeq = 0;
    for (;;) {
      const page = await this.store.listEvents({
        modelName: name,
        types: ['alias.set', 'alias.deleted'],
        until: at,
        afterSeq,
        limit: 1000,
        ...(alias === undefined ? {} : { alias: validateAlias(alias) }),
      });
      for (const event of page) live.set(event.alias ?? '', event);
      if (page.length < 1000) break;
      afterSeq = page[page.length - 1]?.seq ?? afterSeq;
    }
    if (alias !== undefined && !live.has(alias)) return [{ alias }];
    return [...live.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, event]) => ({
        alias: key,
        ...(event.toVersion === undefined ? {} : { version: event.toVersion }),
        since: event,
      }));
  }

  /** Compares two versions' contracts in `mode`; FAILED_PRECONDITION when either has none. */
  async diffContracts(
    name: string,
    from: string,
    to: string,
    mode: CompatibilityMode = 'backward',
  ): Promise<CompatibilityReport> {
    const [previous, next] = await Promise.all([
      this.getModelVersion(name, from),
      this.getModelVersion(name, to),
    ]);
    for (const v of [previous, next]) {
      if (v.contract === undefined) {
        throw new SlipwayError(
          'FAILED_PRECONDITION',
          `Model version ${name}/${v.version} has no contract to compare.`,
          {
            field: 'version',
          },
        );
      }
    }
    return compareContracts(previous.contract as ModelContract, next.contract as ModelContract, mode);
  }

  // ---- internals ------------------------------------------------------------------------------

  private by(actor: string): Actor {
    return { actor: actor || 'anonymous', now: this.now() };
  }

  /** The move's contract check, or undefined when there is nothing to compare. */
  private async checkMove(
    name: string,
    current: string | undefined,
    target: ModelVersion,
    mode: CompatibilityMode | 'none',
  ): Promise<CompatibilityReport | undefined> {
    if (mode === 'none' || current === undefined || current === target.version) return undefined;
    const serving = await this.store.getModelVersion(name, current);
    if (serving?.contract === undefined) return undefined;
    if (target.contract === undefined) {
      return {
        mode,
        compatible: false,
        changes: [
          {
            side: 'inputs',
            field: '*',
            kind: 'kind-changed',
            breaking: true,
            message: `Version ${target.version} declares no contract, so callers of version ${current}'s contract cannot be checked.`,
          },
        ],
      };
    }
    return compareContracts(serving.contract, target.contract, mode);
  }

  /** One compare-and-set attempt; undefined when another move won the race. */
  private async tryMove(move: Parameters<RegistryStore['moveAlias']>[0]): Promise<RegistryEvent | undefined> {
    try {
      const event = await this.store.moveAlias(move);
      this.cache.invalidate(move.name);
      this.onEvent();
      return event;
    } catch (err) {
      if (
        err instanceof SlipwayError &&
        err.code === 'FAILED_PRECONDITION' &&
        err.details['reason'] === 'alias-moved'
      ) {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * The store directory a source names. A `models:/` source (copying a version, as MLflow's
   * copy_model_version does) reads the copied version's immutable package, so the new version does
   * not depend on the old one surviving.
   */
  private async sourcePathOf(source: string): Promise<string | undefined> {
    if (!source.startsWith('models:/')) return resolveModelSource(source, this.tracking, 'source');
    const copied = await this.resolveModelUri(source, 'source');
    return copied.package?.storagePath ?? resolveModelSource(copied.source, this.tracking, 'source');
  }

  /** Inspects and copies a package found at `sourcePath`; undefined when there is none. */
  private async copyPackageFrom(
    sourcePath: string,
    declared: ModelContract | undefined,
  ): Promise<{ package: ModelPackage; contract?: ModelContract } | undefined> {
    const options = declared === undefined ? {} : { declared };
    const inspected = await inspectPackage(this.artifacts, sourcePath, 'source', options);
    if (inspected === undefined) return undefined;
    const pkg = await copyPackage(this.artifacts, inspected, sourcePath, `${PACKAGE_ROOT}/${this.newId()}`);
    return { package: pkg, ...(inspected.contract ? { contract: inspected.contract } : {}) };
  }
}

/** A source's downloadable location: `runs:/` resolved to the run's artifact URI. */
async function resolveDownloadSource(
  source: string,
  tracking: Pick<TrackingService, 'getRunInfo'>,
): Promise<string> {
  const match = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (!match) return source;
  const info = await tracking.getRunInfo(match[1] ?? '');
  const path = match[2] ?? '';
  return path ? `${info.artifactUri.replace(/\/+$/, '')}/${path}` : info.artifactUri;
}

function modelNotFound(name: string): SlipwayError {
  return notFound(`Registered Model with name=${name} not found`, { field: 'name' });
}

function versionNotFound(name: string, version: string): SlipwayError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`, { field: 'version' });
}

function aliasNotFound(name: string, alias: string): SlipwayError {
  return notFound(`Registered model alias ${alias} not found on model ${name}.`, { field: 'alias' });
}

function aliasContention(name: string, alias: string): SlipwayError {
  return new SlipwayError('UNAVAILABLE', `Alias ${name}@${alias} is being moved concurrently; try again.`, {
    field: 'alias',
  });
}

function contractBreaks(
  name: string,
  alias: string,
  from: string,
  to: string,
  report: CompatibilityReport,
): SlipwayError {
  const breaks = report.changes.filter((c) => c.breaking);
  const list = breaks.map((c) => `${c.side}.${c.field}: ${c.message}`).join('; ');
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `Refusing to move ${name}@${alias} from version ${from} to ${to}: the contract breaks ${report.mode} compatibility (${list}). Pass force to override.`,
    { field: 'version', reason: 'contract-breaking', mode: report.mode, breaks },
  );
}
