/**
 * Registry row ↔ domain conversions: int64 columns to numbers, integer versions to decimal
 * strings, JSON text columns to documents, NULL to absent optional fields.
 */
import type {
  GateResult,
  ModelAlias,
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
import { sql } from 'kysely';
import { toInt64, type DbInt64 } from './row-mappers.js';

/** Largest version number the `integer` columns hold. */
const MAX_VERSION = 2_147_483_647;

/**
 * The stored number of a version string, or undefined when it cannot name a stored version
 * (not decimal, or out of range: such a string must never reach an integer comparison).
 */
export function parseVersion(version: string): number | undefined {
  if (!/^\d{1,10}$/.test(version)) return undefined;
  const n = Number(version);
  return n <= MAX_VERSION ? n : undefined;
}

/** Columns selected for a registered model (aliased `m`). */
export const MODEL_COLUMNS = sql`m.model_id, m.name, m.description, m.creation_time, m.last_updated_time`;

/** Columns selected for a model version (aliased `v`, joined with its model `m`). */
export const VERSION_COLUMNS = sql`v.model_id, m.name, v.version, v.creation_time, v.last_updated_time,
  v.current_stage, v.description, v.user_id, v.source, v.run_id, v.run_link, v.status, v.status_message,
  v.contract, v."package"`;

/** A `registered_models` row as selected. */
export interface ModelRow {
  model_id: DbInt64;
  name: string;
  description: string;
  creation_time: DbInt64;
  last_updated_time: DbInt64;
}

/** A `model_versions` row joined with its model's name. */
export interface VersionRow {
  model_id: DbInt64;
  name: string;
  version: DbInt64;
  creation_time: DbInt64;
  last_updated_time: DbInt64;
  current_stage: string;
  description: string;
  user_id: string;
  source: string;
  run_id: string;
  run_link: string;
  status: string;
  status_message: string;
  contract: string | null;
  package: string | null;
}

/** A `registry_events` row as selected. */
export interface EventRow {
  seq: DbInt64;
  type: string;
  time: DbInt64;
  actor: string;
  model_name: string;
  version: DbInt64 | null;
  alias: string | null;
  from_version: DbInt64 | null;
  to_version: DbInt64 | null;
  reason: string | null;
  gate: string | null;
  forced: number | null;
  details: string | null;
}

/** The key a version's tags and aliases are grouped under. */
export function versionKey(modelId: DbInt64, version: DbInt64): string {
  return `${String(modelId)}/${String(version)}`;
}

/** Builds the domain model from its row and its page data. */
export function modelFromRow(
  row: ModelRow,
  tags: StringMap,
  aliases: ModelAlias[],
  latestVersions: ModelVersion[],
): RegisteredModel {
  return {
    name: row.name,
    creationTime: toInt64(row.creation_time),
    lastUpdatedTime: toInt64(row.last_updated_time),
    description: row.description,
    tags,
    aliases,
    latestVersions,
  };
}

/** Builds the domain version from its row, tags and (sorted) aliases. */
export function versionFromRow(row: VersionRow, tags: StringMap, aliases: string[]): ModelVersion {
  return {
    name: row.name,
    version: String(row.version),
    creationTime: toInt64(row.creation_time),
    lastUpdatedTime: toInt64(row.last_updated_time),
    currentStage: row.current_stage as ModelStage,
    description: row.description,
    userId: row.user_id,
    source: row.source,
    runId: row.run_id,
    runLink: row.run_link,
    status: row.status as ModelVersionStatus,
    statusMessage: row.status_message,
    tags,
    aliases,
    ...(row.contract === null ? {} : { contract: JSON.parse(row.contract) as ModelContract }),
    ...(row.package === null ? {} : { package: JSON.parse(row.package) as ModelPackage }),
  };
}

/** An event to append: the domain event without its seq. */
export type NewRegistryEvent = Omit<RegistryEvent, 'seq'>;

/** An event row as inserted (its seq comes from the database). */
export type NewEventRow = Omit<EventRow, 'seq' | 'time' | 'version' | 'from_version' | 'to_version'> & {
  time: number;
  version: number | null;
  from_version: number | null;
  to_version: number | null;
};

/** The storage form of an event (versions as integers, documents as JSON text). */
export function eventToRow(event: NewRegistryEvent): NewEventRow {
  return {
    type: event.type,
    time: event.time,
    actor: event.actor,
    model_name: event.modelName,
    version: optionalVersion(event.version),
    alias: event.alias ?? null,
    from_version: optionalVersion(event.fromVersion),
    to_version: optionalVersion(event.toVersion),
    reason: event.reason ?? null,
    gate: event.gate === undefined ? null : JSON.stringify(event.gate),
    forced: event.forced === undefined ? null : event.forced ? 1 : 0,
    details: event.details === undefined ? null : JSON.stringify(event.details),
  };
}

function optionalVersion(version: string | undefined): number | null {
  return version === undefined ? null : Number(version);
}

/** Builds the domain event from its row; NULL columns are absent fields. */
export function eventFromRow(row: EventRow): RegistryEvent {
  return {
    seq: toInt64(row.seq),
    type: row.type as RegistryEventType,
    time: toInt64(row.time),
    actor: row.actor,
    modelName: row.model_name,
    ...(row.version === null ? {} : { version: String(row.version) }),
    ...(row.alias === null ? {} : { alias: row.alias }),
    ...(row.from_version === null ? {} : { fromVersion: String(row.from_version) }),
    ...(row.to_version === null ? {} : { toVersion: String(row.to_version) }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.gate === null ? {} : { gate: JSON.parse(row.gate) as GateResult }),
    ...(row.forced === null ? {} : { forced: row.forced === 1 }),
    ...(row.details === null ? {} : { details: JSON.parse(row.details) as Record<string, unknown> }),
  };
}
