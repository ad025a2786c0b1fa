/**
 * Translates an experiment search into one SQL statement, following MLflow's SqlAlchemyStore: tag
 * clauses only match experiments that have the tag, the default order is creation_time DESC then
 * experiment_id ASC, and an explicit order without experiment_id ends with experiment_id DESC.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ExperimentFilterClause, ExperimentOrderKey } from '../../tracking/search-types.js';
import type { ExperimentSearchQuery } from '../../tracking/tracking-store.js';
import type { ExperimentRow } from './row-mappers.js';
import { lifecycleFilter, numericMatch } from './run-search-sql.js';
import type { SqlBackend } from './sql-backend.js';

/** Columns selected for an experiment (aliased `e`). */
export const EXPERIMENT_COLUMNS = sql`e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage,
  e.creation_time, e.last_update_time`;

const DEFAULT_ORDER: readonly ExperimentOrderKey[] = [
  { key: 'creation_time', ascending: false },
  { key: 'experiment_id', ascending: true },
];

/** The SQL of one page of experiments. */
export function buildExperimentSearch(
  backend: SqlBackend,
  query: ExperimentSearchQuery,
): RawBuilder<ExperimentRow> {
  const where = [
    ...lifecycleFilter(sql.ref('e.lifecycle_stage'), query.viewType),
    ...query.filter.map((clause) => experimentFilter(backend, clause)),
  ];
  const whereSql = where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
  return sql<ExperimentRow>`SELECT ${EXPERIMENT_COLUMNS} FROM experiments e ${whereSql}
    ORDER BY ${sql.join(experimentOrder(backend, query.orderBy))}
    LIMIT ${query.limit} OFFSET ${query.offset}`;
}

function experimentFilter(backend: SqlBackend, clause: ExperimentFilterClause): RawBuilder<SqlBool> {
  if (clause.entity === 'tag') {
    return sql<SqlBool>`EXISTS (SELECT 1 FROM experiment_tags t
      WHERE t.experiment_id = e.experiment_id AND t.key = ${clause.key}
      AND ${backend.textMatch(sql.ref('t.value'), clause.comparator, clause.value)})`;
  }
  if (clause.key === 'name') return backend.textMatch(sql.ref('e.name'), clause.comparator, clause.value);
  return numericMatch(sql.ref(`e.${clause.key}`), clause.comparator, clause.value);
}

function experimentOrder(backend: SqlBackend, keys: readonly ExperimentOrderKey[]): RawBuilder<unknown>[] {
  const effective = keys.length > 0 ? keys : DEFAULT_ORDER;
  const terms = effective.map((key) => {
    const column = sql.ref(`e.${key.key}`);
    const sortable = key.key === 'name' ? backend.sortableText(column) : column;
    return sql`${sortable} ${sql.raw(key.ascending ? 'ASC' : 'DESC')}`;
  });
  if (!effective.some((key) => key.key === 'experiment_id')) terms.push(sql`e.experiment_id DESC`);
  return terms;
}
