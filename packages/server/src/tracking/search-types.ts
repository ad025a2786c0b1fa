/**
 * Parsed search expressions: what the filter/order-by grammar produces and what stores translate
 * into queries. Pure data, no I/O.
 */

/** Comparators valid against numbers (metrics, numeric attributes). */
export type NumericComparator = '=' | '!=' | '>' | '>=' | '<' | '<=';
/** Comparators valid against strings. LIKE is case-sensitive, ILIKE is not (SQL `%` and `_` wildcards). */
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';
/** Set membership comparators. */
export type SetComparator = 'IN' | 'NOT IN';
/** Presence comparators (tags only). */
export type NullComparator = 'IS NULL' | 'IS NOT NULL';

/** Run attributes compared as strings. */
export type StringRunAttribute = 'run_id' | 'run_name' | 'status' | 'user_id' | 'artifact_uri';
/** Run attributes compared as numbers (ms since epoch). */
export type NumericRunAttribute = 'start_time' | 'end_time';
/** Dataset fields a run filter can test. `context` is the `mlflow.data.context` input tag. */
export type DatasetField = 'name' | 'digest' | 'context';

/** One conjunct of a run filter (MLflow filters are AND-only). */
export type RunFilterClause =
  | { entity: 'metric'; key: string; comparator: NumericComparator; value: number }
  | { entity: 'param'; key: string; comparator: StringComparator; value: string }
  | { entity: 'tag'; key: string; comparator: StringComparator; value: string }
  | { entity: 'tag'; key: string; comparator: NullComparator }
  | { entity: 'attribute'; key: StringRunAttribute; comparator: StringComparator; value: string }
  | { entity: 'attribute'; key: 'run_id'; comparator: SetComparator; values: string[] }
  | { entity: 'attribute'; key: NumericRunAttribute; comparator: NumericComparator; value: number }
  | { entity: 'dataset'; key: DatasetField; comparator: StringComparator; value: string }
  | { entity: 'dataset'; key: DatasetField; comparator: SetComparator; values: string[] };

/** Run attributes usable in order_by. */
export type OrderableRunAttribute =
  'start_time' | 'end_time' | 'status' | 'run_name' | 'run_id' | 'experiment_id' | 'user_id' | 'artifact_uri';

/** One order_by key for run search. Missing values sort last in both directions. */
export type RunOrderKey =
  | { entity: 'metric' | 'param' | 'tag'; key: string; ascending: boolean }
  | { entity: 'attribute'; key: OrderableRunAttribute; ascending: boolean };

/** One conjunct of an experiment filter. */
export type ExperimentFilterClause =
  | { entity: 'attribute'; key: 'name'; comparator: StringComparator; value: string }
  | {
      entity: 'attribute';
      key: 'creation_time' | 'last_update_time';
      comparator: NumericComparator;
      value: number;
    }
  | { entity: 'tag'; key: string; comparator: StringComparator; value: string };

/** Experiment attributes usable in order_by. */
export type OrderableExperimentAttribute = 'name' | 'experiment_id' | 'creation_time' | 'last_update_time';

/** One order_by key for experiment search. */
export interface ExperimentOrderKey {
  key: OrderableExperimentAttribute;
  ascending: boolean;
}
