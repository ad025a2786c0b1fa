/**
 * Translates a run search (filter AST, order keys, view type, page) into one SQL statement, with the
 * semantics of MLflow's SqlAlchemyStore: metric filters test the latest value, a param/tag/metric
 * clause (even `!=`) only matches runs that have the key, runs lacking an ordering value sort last
 * in both directions, and ties fall back to start_time DESC, then run_id.
 */
import type { ViewType } from '@slipway/contracts';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type {
  NumericComparator,
  RunFilterClause,
  RunOrderKey,
  SetComparator,
} from '../../tracking/search-types.js';
import type { RunSearchQuery } from '../../tracking/tracking-store.js';
import type { RunRow } from './row-mappers.js';
import type { SqlBackend } from './sql-backend.js';

/** The input tag that holds a dataset input's context (`datasets.context` in filters). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** Columns selected for a run (aliased `r`). */
export const RUN_COLUMNS = sql`r.run_id, r.experiment_id, r.name, r.user_id, r.status, r.start_time,
  r.end_time, r.artifact_uri, r.lifecycle_stage`;

const NUMERIC_OPERATORS: Record<NumericComparator, string> = {
  '=': '=',
  '!=': '<>',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
};

/** Runs columns by attribute name (run_name is stored as `name`). */
const RUN_ATTRIBUTE_COLUMNS = {
  run_id: 'run_id',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
  experiment_id: 'experiment_id',
} as const;

/** True for a decimal experiment id; others cannot match any row (and must not reach a bigint compare). */
export function isDecimalId(id: string): boolean {
  return /^\d{1,18}$/.test(id);
}

/** The SQL of one page of runs, or undefined when no experiment id can match. */
export function buildRunSearch(backend: SqlBackend, query: RunSearchQuery): RawBuilder<RunRow> | undefined {
  const experimentIds = query.experimentIds.filter(isDecimalId).map(Number);
  if (experimentIds.length === 0) return undefined;
  const driving = drivingMetric(query);
  const where: RawBuilder<SqlBool>[] = [
    sql<SqlBool>`r.experiment_id IN (${sql.join(experimentIds)})`,
    ...lifecycleFilter(sql.ref('r.lifecycle_stage'), query.viewType),
    ...query.filter.map((clause) =>
      clause.entity === 'metric' && clause.key === driving
        ? metricTest(DRIVING_ALIAS, clause.comparator, clause.value)
        : runFilter(backend, clause),
    ),
  ];
  const order = runOrder(backend, query.orderBy, driving);
  return sql<RunRow>`SELECT ${RUN_COLUMNS} FROM runs r ${sql.join(order.joins, sql` `)}
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY ${sql.join(order.terms)}
    LIMIT ${query.limit} OFFSET ${query.offset}`;
}

/** Alias of the first order key's join. */
const DRIVING_ALIAS = 'o0';

/**
 * The metric key that can drive the search: the first order key, when a filter clause on the same
 * metric already excludes runs lacking it or holding NaN (every comparator but `!=`). Its order join
 * can then be an inner join without the "missing/NaN last" term, so the database can walk the
 * (key, value) index in order and stop at the page limit instead of sorting every candidate run.
 */
function drivingMetric(query: RunSearchQuery): string | undefined {
  const first = query.orderBy[0];
  if (first?.entity !== 'metric') return undefined;
  const excludesMissing = query.filter.some(
    (clause) => clause.entity === 'metric' && clause.key === first.key && clause.comparator !== '!=',
  );
  return excludesMissing ? first.key : undefined;
}

/** The lifecycle condition of a view type (none for ALL). */
export function lifecycleFilter(column: RawBuilder<unknown>, viewType: ViewType): RawBuilder<SqlBool>[] {
  if (viewType === 'ALL') return [];
  return [sql<SqlBool>`${column} = ${viewType === 'ACTIVE_ONLY' ? 'active' : 'deleted'}`];
}

/**
 * `column <op> value` for an int64 column. A non-integer is cast to double: PostgreSQL would
 * otherwise infer the parameter as bigint and reject it.
 */
export function numericMatch(
  column: RawBuilder<unknown>,
  comparator: NumericComparator,
  value: number,
): RawBuilder<SqlBool> {
  const operand = Number.isSafeInteger(value) ? sql`${value}` : sql`CAST(${value} AS double precision)`;
  return sql<SqlBool>`${column} ${sql.raw(NUMERIC_OPERATORS[comparator])} ${operand}`;
}

/** A metric comparison on the latest_metrics row aliased `alias`; NaN (value 0 plus a flag) only matches `!=`. */
function metricTest(alias: string, comparator: NumericComparator, value: number): RawBuilder<SqlBool> {
  const ref = sql.raw(alias);
  if (comparator === '!=') return sql<SqlBool>`(${ref}.is_nan = 1 OR ${ref}.value <> ${value})`;
  return sql<SqlBool>`${ref}.is_nan = 0 AND ${ref}.value ${sql.raw(NUMERIC_OPERATORS[comparator])} ${value}`;
}

function runFilter(backend: SqlBackend, clause: RunFilterClause): RawBuilder<SqlBool> {
  switch (clause.entity) {
    case 'metric':
      return metricFilter(clause.key, clause.comparator, clause.value);
    case 'param':
      return sql<SqlBool>`EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.run_id AND p.key = ${clause.key}
        AND ${backend.textMatch(sql.ref('p.value'), clause.comparator, clause.value)})`;
    case 'tag':
      return tagFilter(backend, clause);
    case 'attribute':
      return attributeFilter(backend, clause);
    case 'dataset':
      return datasetFilter(backend, clause);
  }
}

function metricFilter(key: string, comparator: NumericComparator, value: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ${key}
    AND ${metricTest('m', comparator, value)})`;
}

function tagFilter(
  backend: SqlBackend,
  clause: Extract<RunFilterClause, { entity: 'tag' }>,
): RawBuilder<SqlBool> {
  const has = sql`SELECT 1 FROM tags t WHERE t.run_id = r.run_id AND t.key = ${clause.key}`;
  if (!('value' in clause)) {
    return clause.comparator === 'IS NULL'
      ? sql<SqlBool>`NOT EXISTS (${has})`
      : sql<SqlBool>`EXISTS (${has})`;
  }
  return sql<SqlBool>`EXISTS (${has} AND ${backend.textMatch(sql.ref('t.value'), clause.comparator, clause.value)})`;
}

type AttributeClause = Extract<RunFilterClause, { entity: 'attribute' }>;
type NumericAttributeClause = Extract<AttributeClause, { value: number }>;

function isNumericAttribute(clause: AttributeClause): clause is NumericAttributeClause {
  return 'value' in clause && typeof clause.value === 'number';
}

function attributeFilter(backend: SqlBackend, clause: AttributeClause): RawBuilder<SqlBool> {
  const column = sql.ref(`r.${RUN_ATTRIBUTE_COLUMNS[clause.key]}`);
  if ('values' in clause) return setMatch(column, clause.comparator, clause.values);
  if (isNumericAttribute(clause)) return numericMatch(column, clause.comparator, clause.value);
  return backend.textMatch(column, clause.comparator, clause.value);
}

function datasetFilter(
  backend: SqlBackend,
  clause: Extract<RunFilterClause, { entity: 'dataset' }>,
): RawBuilder<SqlBool> {
  const column = sql.ref(clause.key === 'context' ? 'it.value' : `d.${clause.key}`);
  const test =
    'values' in clause
      ? setMatch(column, clause.comparator, clause.values)
      : backend.textMatch(column, clause.comparator, clause.value);
  // Each clause is its own EXISTS, so two clauses may be satisfied by different datasets (as MLflow).
  if (clause.key === 'context') {
    return sql<SqlBool>`EXISTS (SELECT 1 FROM inputs i JOIN input_tags it ON it.input_id = i.input_id
      WHERE i.run_id = r.run_id AND it.name = ${DATASET_CONTEXT_TAG} AND ${test})`;
  }
  return sql<SqlBool>`EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id
    WHERE i.run_id = r.run_id AND ${test})`;
}

/** `column [NOT] IN (values)`; an empty list matches nothing (IN) or everything (NOT IN). */
function setMatch(
  column: RawBuilder<unknown>,
  comparator: SetComparator,
  values: readonly string[],
): RawBuilder<SqlBool> {
  if (values.length === 0) return comparator === 'IN' ? sql<SqlBool>`1 = 0` : sql<SqlBool>`1 = 1`;
  const list = sql.join(values.map((v) => sql`${v}`));
  return comparator === 'IN'
    ? sql<SqlBool>`${column} IN (${list})`
    : sql<SqlBool>`${column} NOT IN (${list})`;
}

interface RunOrder {
  joins: RawBuilder<unknown>[];
  terms: RawBuilder<unknown>[];
}

function runOrder(backend: SqlBackend, keys: readonly RunOrderKey[], driving: string | undefined): RunOrder {
  const order: RunOrder = { joins: [], terms: [] };
  keys.forEach((key, i) => {
    if (i === 0 && driving !== undefined) addDrivingMetric(order, driving, key.ascending);
    else addOrderKey(backend, order, key, `o${i}`);
  });
  if (!keys.some((k) => k.entity === 'attribute' && k.key === 'start_time')) {
    order.terms.push(sql`r.start_time DESC`);
  }
  order.terms.push(sql`${backend.sortableText(sql.ref('r.run_id'))} ASC`);
  return order;
}

function addDrivingMetric(order: RunOrder, key: string, ascending: boolean): void {
  const ref = sql.raw(DRIVING_ALIAS);
  order.joins.push(sql`JOIN latest_metrics ${ref} ON ${ref}.run_id = r.run_id AND ${ref}.key = ${key}`);
  order.terms.push(sql`${ref}.value ${sql.raw(ascending ? 'ASC' : 'DESC')}`);
}

function addOrderKey(backend: SqlBackend, order: RunOrder, key: RunOrderKey, alias: string): void {
  const direction = sql.raw(key.ascending ? 'ASC' : 'DESC');
  if (key.entity === 'attribute') {
    const column = sql.ref(`r.${RUN_ATTRIBUTE_COLUMNS[key.key]}`);
    if (key.key === 'end_time') order.terms.push(sql`CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END`);
    const numeric = key.key === 'start_time' || key.key === 'end_time' || key.key === 'experiment_id';
    order.terms.push(sql`${numeric ? column : backend.sortableText(column)} ${direction}`);
    return;
  }
  const table = { metric: 'latest_metrics', param: 'params', tag: 'tags' }[key.entity];
  const ref = sql.raw(alias);
  order.joins.push(
    sql`LEFT JOIN ${sql.table(table)} ${ref} ON ${ref}.run_id = r.run_id AND ${ref}.key = ${key.key}`,
  );
  if (key.entity === 'metric') {
    // Present values first, then NaN, then missing (MLflow's order), whatever the direction.
    order.terms.push(sql`CASE WHEN ${ref}.run_id IS NULL THEN 2 WHEN ${ref}.is_nan = 1 THEN 1 ELSE 0 END`);
    order.terms.push(sql`${ref}.value ${direction}`);
  } else {
    order.terms.push(sql`CASE WHEN ${ref}.run_id IS NULL THEN 1 ELSE 0 END`);
    order.terms.push(sql`${backend.sortableText(sql`${ref}.value`)} ${direction}`);
  }
}
