/**
 * Registry domain → MLflow protobuf-JSON text (model_registry.proto of MLflow 2.12). Fields are
 * written in proto field-number order, as `message_to_json` prints them, and omitted exactly where
 * MLflow's `to_proto` leaves them unset: a registered model's empty description and zero
 * `last_updated_timestamp`, a version's empty `status_message`, empty repeated fields. A version's
 * `description`, `run_id` and `run_link` are always present (MLflow's SQL store keeps '' for them).
 * Registry answers are small and rare next to metric traffic, so plain objects + JSON.stringify
 * are used here rather than the hand-built strings of mlflow-wire.ts.
 */
import type { ModelPackage, ModelVersion, RegisteredModel, StringMap } from '@slipway/contracts';
import { EMPTY_RESPONSE } from './mlflow-wire.js';

/** `{key, value}` as RegisteredModelTag / ModelVersionTag. */
interface WireTag {
  key: string;
  value: string;
}

/** A ModelVersion message; `slipway` is Slipway's own extra (see `SlipwayVersionExtras`). */
interface WireModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: string;
  status_message?: string;
  tags?: WireTag[];
  run_link: string;
  aliases?: string[];
  slipway?: SlipwayVersionExtras;
}

/**
 * What Slipway knows about a version beyond MLflow's message. MLflow's Python client parses with
 * `ParseDict(..., ignore_unknown_fields=True)` and its Java client with `ignoringUnknownFields()`,
 * so one extra field is skipped by both; it is kept in one namespaced object so that a field MLflow
 * adds later cannot collide with it.
 */
interface SlipwayVersionExtras {
  package?: { digest: string; runtime: string; manifest: string; entry_point?: string };
  contract?: unknown;
}

/** A RegisteredModel message. */
interface WireRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: WireModelVersion[];
  tags?: WireTag[];
  aliases?: { alias: string; version: string }[];
}

/** `{"registered_model": ...}` of create, get, rename and update. */
export function registeredModelResponse(model: RegisteredModel): string {
  return JSON.stringify({ registered_model: registeredModelWire(model) });
}

/**
 * `{"model_version": ...}` of create, get, get-by-alias, update and transition-stage: the answers
 * about one version, which also carry Slipway's package digest and contract (see the extras above).
 */
export function modelVersionResponse(version: ModelVersion): string {
  return JSON.stringify({ model_version: modelVersionWire(version, true) });
}

/** A search-registered-models page; `{}` when empty, `next_page_token` only when given. */
export function searchRegisteredModelsResponse(
  models: readonly RegisteredModel[],
  nextPageToken?: string,
): string {
  return pageJson('registered_models', models.map(registeredModelWire), nextPageToken);
}

/** A search-model-versions page; `{}` when empty, `next_page_token` only when given. */
export function searchModelVersionsResponse(
  versions: readonly ModelVersion[],
  nextPageToken?: string,
): string {
  return pageJson(
    'model_versions',
    versions.map((v) => modelVersionWire(v, false)),
    nextPageToken,
  );
}

/** `{"model_versions": [...]}` of get-latest-versions; `{}` when there are none. */
export function modelVersionListResponse(versions: readonly ModelVersion[]): string {
  return pageJson(
    'model_versions',
    versions.map((v) => modelVersionWire(v, false)),
    undefined,
  );
}

/** `{"artifact_uri": ...}` of get-download-uri. */
export function downloadUriResponse(artifactUri: string): string {
  return JSON.stringify({ artifact_uri: artifactUri });
}

function registeredModelWire(m: RegisteredModel): WireRegisteredModel {
  const wire: WireRegisteredModel = { name: m.name, creation_timestamp: m.creationTime };
  if (m.lastUpdatedTime) wire.last_updated_timestamp = m.lastUpdatedTime;
  if (m.description) wire.description = m.description;
  if (m.latestVersions.length > 0) {
    wire.latest_versions = m.latestVersions.map((v) => modelVersionWire(v, false));
  }
  const tags = tagsWire(m.tags);
  if (tags) wire.tags = tags;
  if (m.aliases.length > 0) {
    wire.aliases = m.aliases.map((a) => ({ alias: a.alias, version: a.version }));
  }
  return wire;
}

function modelVersionWire(v: ModelVersion, withExtras: boolean): WireModelVersion {
  // Spread in proto order: JSON.stringify keeps insertion order, and absent fields leave no key.
  const wire: WireModelVersion = {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTime,
    ...(v.lastUpdatedTime ? { last_updated_timestamp: v.lastUpdatedTime } : {}),
    ...(v.userId ? { user_id: v.userId } : {}),
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    run_id: v.runId,
    status: v.status,
    ...(v.statusMessage ? { status_message: v.statusMessage } : {}),
    ...optionalTags(v.tags),
    run_link: v.runLink,
    ...(v.aliases.length > 0 ? { aliases: [...v.aliases] } : {}),
  };
  if (withExtras) {
    const extras = extrasOf(v);
    if (extras) wire.slipway = extras;
  }
  return wire;
}

function extrasOf(v: ModelVersion): SlipwayVersionExtras | undefined {
  if (v.package === undefined && v.contract === undefined) return undefined;
  const extras: SlipwayVersionExtras = {};
  if (v.package !== undefined) extras.package = packageWire(v.package);
  if (v.contract !== undefined) extras.contract = v.contract;
  return extras;
}

function packageWire(p: ModelPackage): NonNullable<SlipwayVersionExtras['package']> {
  return {
    digest: p.digest,
    runtime: p.runtime,
    manifest: p.manifest,
    ...(p.entryPoint ? { entry_point: p.entryPoint } : {}),
  };
}

function optionalTags(map: StringMap): { tags?: WireTag[] } {
  const tags = tagsWire(map);
  return tags ? { tags } : {};
}

/** Tags as `[{key, value}]`, or undefined for none (repeated fields are omitted when empty). */
function tagsWire(map: StringMap): WireTag[] | undefined {
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  return keys.map((key) => ({ key, value: map[key] ?? '' }));
}

function pageJson(field: string, items: readonly object[], nextPageToken: string | undefined): string {
  if (items.length === 0 && !nextPageToken) return EMPTY_RESPONSE;
  const page: Record<string, unknown> = {};
  if (items.length > 0) page[field] = items;
  if (nextPageToken) page['next_page_token'] = nextPageToken;
  return JSON.stringify(page);
}
