/**
 * Translates registered-model and model-version searches into one SQL statement each, with MLflow's
 * semantics: a tag clause only matches entities that have the tag, LIKE is case-sensitive and ILIKE
 * is not, the default orders are name ASC (models) and name ASC, version DESC (versions), and every
 * order ends with a unique tiebreak so offset/limit paging walks one total order.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type {
  ModelVersionFilterClause,
  ModelVersionOrderKey,
  ModelVersionSearchQuery,
  RegisteredModelFilterClause,
  RegisteredModelOrderKey,
  RegisteredModelSearchQuery,
} from '../../registry/registry-store.js';
import {
  MODEL_COLUMNS,
  parseVersion,
  VERSION_COLUMNS,
  type ModelRow,
  type VersionRow,
} from './registry-row-mappers.js';
import type { SqlBackend } from './sql-backend.js';

const NUMERIC_OPERATORS = { '=': '=', '!=': '<>', '>': '>', '>=': '>=', '<': '<', '<=': '<=' } as const;

/** The SQL of one page of registered models. */
export function buildModelSearch(
  backend: SqlBackend,
  query: RegisteredModelSearchQuery,
): RawBuilder<ModelRow> {
  const where = query.filter.map((clause) => modelFilter(backend, clause));
  return sql<ModelRow>`SELECT ${MODEL_COLUMNS} FROM registered_models m ${whereClause(where)}
    ORDER BY ${sql.join(modelOrder(backend, query.orderBy))}
    LIMIT ${query.limit} OFFSET ${query.offset}`;
}

/** The SQL of one page of model versions (each row carries its model's name). */
export function buildVersionSearch(
  backend: SqlBackend,
  query: ModelVersionSearchQuery,
): RawBuilder<VersionRow> {
  const where = query.filter.map((clause) => versionFilter(backend, clause));
  return sql<VersionRow>`SELECT ${VERSION_COLUMNS}
    FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id ${whereClause(where)}
    ORDER BY ${sql.join(versionOrder(backend, query.orderBy))}
    LIMIT ${query.limit} OFFSET ${query.offset}`;
}

function whereClause(conditions: RawBuilder<SqlBool>[]): RawBuilder<unknown> {
  return conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
}

function modelFilter(backend: SqlBackend, clause: RegisteredModelFilterClause): RawBuilder<SqlBool> {
  if (clause.entity === 'tag') {
    return sql<SqlBool>`EXISTS (SELECT 1 FROM registered_model_tags t
      WHERE t.model_id = m.model_id AND t.key = ${clause.key}
      AND ${backend.textMatch(sql.ref('t.value'), clause.comparator, clause.value)})`;
  }
  return backend.textMatch(sql.ref('m.name'), clause.comparator, clause.value);
}

/** Version attributes by filter key (`name` is the model's). */
const VERSION_ATTRIBUTE_COLUMNS = {
  name: 'm.name',
  run_id: 'v.run_id',
  source: 'v.source',
  version: 'v.version',
} as const;

function versionFilter(backend: SqlBackend, clause: ModelVersionFilterClause): RawBuilder<SqlBool> {
  if (clause.entity === 'tag') {
    return sql<SqlBool>`EXISTS (SELECT 1 FROM model_version_tags t
      WHERE t.model_id = v.model_id AND t.version = v.version AND t.key = ${clause.key}
      AND ${backend.textMatch(sql.ref('t.value'), clause.comparator, clause.value)})`;
  }
  const column = sql.ref(VERSION_ATTRIBUTE_COLUMNS[clause.key]);
  if ('values' in clause) {
    const values =
      clause.key === 'version'
        ? clause.values.map(parseVersion).filter((n): n is number => n !== undefined)
        : clause.values;
    // A value that names no storable version can match nothing, so dropping it changes neither IN nor NOT IN.
    if (values.length === 0) return clause.comparator === 'IN' ? sql<SqlBool>`1 = 0` : sql<SqlBool>`1 = 1`;
    const test = backend.inList(column, values);
    return clause.comparator === 'IN' ? test : sql<SqlBool>`NOT (${test})`;
  }
  if (clause.key === 'version') {
    // Cast, so PostgreSQL does not infer the parameter as the column's int4 (and reject large or fractional values).
    const type = sql.raw(Number.isSafeInteger(clause.value) ? 'bigint' : 'double precision');
    return sql<SqlBool>`${column} ${sql.raw(NUMERIC_OPERATORS[clause.comparator])} CAST(${clause.value} AS ${type})`;
  }
  return backend.textMatch(column, clause.comparator, clause.value);
}

function direction(ascending: boolean): RawBuilder<unknown> {
  return sql.raw(ascending ? 'ASC' : 'DESC');
}

function modelOrder(backend: SqlBackend, keys: readonly RegisteredModelOrderKey[]): RawBuilder<unknown>[] {
  const terms = keys.map((key) => {
    const column = sql.ref(`m.${key.key}`);
    return sql`${key.key === 'name' ? backend.sortableText(column) : column} ${direction(key.ascending)}`;
  });
  // Names are unique, so they complete any order (and are the default).
  if (!keys.some((key) => key.key === 'name'))
    terms.push(sql`${backend.sortableText(sql.ref('m.name'))} ASC`);
  return terms;
}

function versionOrder(backend: SqlBackend, keys: readonly ModelVersionOrderKey[]): RawBuilder<unknown>[] {
  const terms = keys.map((key) =>
    key.key === 'name'
      ? sql`${backend.sortableText(sql.ref('m.name'))} ${direction(key.ascending)}`
      : sql`${sql.ref(`v.${key.key}`)} ${direction(key.ascending)}`,
  );
  // (name, version) is unique: appending whichever is missing gives the default order and a total order.
  if (!keys.some((key) => key.key === 'name'))
    terms.push(sql`${backend.sortableText(sql.ref('m.name'))} ASC`);
  if (!keys.some((key) => key.key === 'version')) terms.push(sql`v.version DESC`);
  return terms;
}
