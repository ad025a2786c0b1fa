/**
 * Parsers for MLflow's search grammar (filter strings and order_by lists of search_runs and
 * search_experiments). Which comparators each entity accepts follows MLflow 2.12's SearchUtils;
 * docs/search.md lists the grammar and the deliberate differences. Pure: no I/O.
 */
import type {
  ExperimentFilterClause,
  ExperimentOrderKey,
  NullComparator,
  NumericComparator,
  OrderableExperimentAttribute,
  OrderableRunAttribute,
  RunFilterClause,
  RunOrderKey,
  SetComparator,
  StringComparator,
} from './search-types.js';
import { SearchScanner, type KeyPath, type Token } from './search-tokenizer.js';

/** Any comparator the grammar reads. */
export type Comparator = NumericComparator | StringComparator | SetComparator | NullComparator;

/** Comparators for numbers. */
export const NUMERIC: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
/** Comparators for strings. */
export const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
/** Comparators for strings that may also be tested against a list. */
export const STRING_OR_SET: readonly Comparator[] = [...STRING, 'IN', 'NOT IN'];
const STRING_OR_NULL: readonly Comparator[] = [...STRING, 'IS NULL', 'IS NOT NULL'];
const OPERATORS: ReadonlySet<string> = new Set(NUMERIC);

/** What a key resolved to: the AST entity/key plus what may be compared against it. */
export interface Target {
  entity: string;
  key: string;
  valueType: 'number' | 'string';
  comparators: readonly Comparator[];
  /** Name used in messages, e.g. `metrics` or `attribute 'status'`. */
  label: string;
}

/** Maps a key as written to what it targets, or fails at its position. */
export type Resolver = (scanner: SearchScanner, path: KeyPath) => Target;

// ---------------------------------------------------------------- entity and attribute tables

type RunEntity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

const RUN_ENTITIES: ReadonlyMap<string, RunEntity> = new Map<string, RunEntity>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['param', 'param'],
  ['params', 'param'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
]);

// MLflow's spellings `created` and `run name` are accepted and stored under the canonical name.
const RUN_ATTRIBUTE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['created', 'start_time'],
  ['Created', 'start_time'],
  ['run name', 'run_name'],
  ['Run name', 'run_name'],
  ['Run Name', 'run_name'],
]);

const NUMERIC_RUN_ATTRIBUTES: ReadonlySet<string> = new Set(['start_time', 'end_time']);
const STRING_RUN_ATTRIBUTES: ReadonlySet<string> = new Set([
  'run_id',
  'run_name',
  'status',
  'user_id',
  'artifact_uri',
]);
const ORDERABLE_RUN_ATTRIBUTES: ReadonlySet<OrderableRunAttribute> = new Set<OrderableRunAttribute>([
  'start_time',
  'end_time',
  'status',
  'run_name',
  'run_id',
  'experiment_id',
  'user_id',
  'artifact_uri',
]);
const DATASET_FIELDS: ReadonlySet<string> = new Set(['name', 'digest', 'context']);

// MLflow documents `attributes.name` for experiments although 2.12 only accepts `attribute.`;
// Slipway accepts the same attribute and tag spellings as run search.
const EXPERIMENT_ENTITIES: ReadonlyMap<string, 'attribute' | 'tag'> = new Map<string, 'attribute' | 'tag'>([
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['tag', 'tag'],
  ['tags', 'tag'],
]);
const NUMERIC_EXPERIMENT_ATTRIBUTES: ReadonlySet<string> = new Set(['creation_time', 'last_update_time']);
const ORDERABLE_EXPERIMENT_ATTRIBUTES: ReadonlySet<OrderableExperimentAttribute> =
  new Set<OrderableExperimentAttribute>(['name', 'experiment_id', 'creation_time', 'last_update_time']);

const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'NULL',
  'LIKE',
  'ILIKE',
  'ASC',
  'DESC',
]);

// ---------------------------------------------------------------- public API

/** Parses a search_runs filter (AND-only conjunction) into clauses; empty or absent → []. */
export function parseRunFilter(filter: string | undefined): RunFilterClause[] {
  // Each Target comes from the run tables above, so the generic clause matches the union.
  return parseConjunction(filter, 'filter', resolveRunTarget) as RunFilterClause[];
}

/** Parses search_runs order_by entries such as `metrics.acc DESC`; absent → []. */
export function parseRunOrderBy(orderBy: string[] | undefined): RunOrderKey[] {
  return (orderBy ?? []).map((entry, i) => {
    const { scanner, path, ascending } = parseOrderEntry(entry, `order_by[${i}]`);
    return resolveRunOrderKey(scanner, path, ascending);
  });
}

/** Parses a search_experiments filter (name, creation_time, last_update_time, tags.*); empty → []. */
export function parseExperimentFilter(filter: string | undefined): ExperimentFilterClause[] {
  // Each Target comes from the experiment tables above, so the generic clause matches the union.
  return parseConjunction(filter, 'filter', resolveExperimentTarget) as ExperimentFilterClause[];
}

/** Parses search_experiments order_by entries such as `name DESC`; only attributes are orderable. */
export function parseExperimentOrderBy(orderBy: string[] | undefined): ExperimentOrderKey[] {
  return (orderBy ?? []).map((entry, i) => {
    const { scanner, path, ascending } = parseOrderEntry(entry, `order_by[${i}]`);
    return { key: resolveExperimentOrderKey(scanner, path), ascending };
  });
}

// ---------------------------------------------------------------- filters

/** A clause before it is narrowed to a store's clause union by the resolver's tables. */
export interface GenericClause {
  entity: string;
  key: string;
  comparator: Comparator;
  value?: number | string;
  values?: string[];
}

/** Parses an AND-only filter with `resolve` deciding what each key targets; empty or absent → []. */
export function parseConjunction(
  filter: string | undefined,
  field: string,
  resolve: Resolver,
): GenericClause[] {
  if (filter === undefined) return [];
  const scanner = new SearchScanner(filter, field);
  if (scanner.peek().kind === 'end') return [];
  const clauses: GenericClause[] = [];
  for (;;) {
    const start = scanner.peek().start;
    clauses.push(parseClause(scanner, resolve));
    const next = scanner.peek();
    if (next.kind === 'end') return clauses;
    if (scanner.atKeyword('AND')) {
      scanner.next();
      continue;
    }
    if (scanner.atKeyword('OR')) {
      scanner.fail(next.start, "'OR' is not supported; conditions can only be combined with AND");
    }
    const clause = filter.slice(start, next.start).trimEnd();
    scanner.fail(
      next.start,
      `expected AND or end of filter after '${clause}', found ${scanner.describe(next)}`,
    );
  }
}

function parseClause(scanner: SearchScanner, resolve: Resolver): GenericClause {
  const path = readKey(scanner, 'a condition such as metrics.acc > 0.9');
  const target = resolve(scanner, path);
  const comparator = readComparator(scanner, path);
  if (!target.comparators.includes(comparator.value)) {
    const allowed = target.comparators.join(', ');
    const hint = comparator.value.endsWith('IN')
      ? ' (lists work only for attributes.run_id and datasets.*)'
      : '';
    scanner.fail(
      comparator.start,
      `comparator '${comparator.value}' is not supported for ${target.label}; use one of ${allowed}${hint}`,
    );
  }
  const context = scanner.input.slice(path.start, comparator.end);
  const clause: GenericClause = { entity: target.entity, key: target.key, comparator: comparator.value };
  if (comparator.value === 'IS NULL' || comparator.value === 'IS NOT NULL') return clause;
  if (comparator.value === 'IN' || comparator.value === 'NOT IN') {
    clause.values = readStringList(scanner, context);
  } else {
    clause.value =
      target.valueType === 'number'
        ? readNumber(scanner, context, target)
        : readString(scanner, context, target);
  }
  return clause;
}

/** Reads a key or fails with `expected ${what}`; reserved words are not accepted as bare keys. */
function readKey(scanner: SearchScanner, what: string): KeyPath {
  const path = scanner.readKeyPath();
  if (path && !isReservedWord(path)) return path;
  if (path) {
    scanner.fail(path.start, `expected ${what}, found '${scanner.input.slice(path.start, path.end)}'`);
  }
  const token = scanner.peek();
  const hint = token.raw === '(' ? ' (grouping with parentheses is not supported)' : keyQuoteHint(token);
  return scanner.fail(token.start, `expected ${what}, found ${scanner.describe(token)}${hint}`);
}

function isReservedWord(path: KeyPath): boolean {
  const [only, ...rest] = path.segments;
  return (
    rest.length === 0 && only !== undefined && !only.quoted && RESERVED_WORDS.has(only.text.toUpperCase())
  );
}

function keyQuoteHint(token: Token): string {
  return token.kind === 'string' && token.quote === "'"
    ? ' (quote keys with backticks or double quotes)'
    : '';
}

interface ComparatorToken {
  value: Comparator;
  start: number;
  end: number;
}

function readComparator(scanner: SearchScanner, path: KeyPath): ComparatorToken {
  const key = scanner.input.slice(path.start, path.end);
  const token = scanner.next();
  if (token.kind === 'operator' && OPERATORS.has(token.raw)) {
    return { value: token.raw as Comparator, start: token.start, end: token.end };
  }
  const word = token.kind === 'word' ? token.text.toUpperCase() : '';
  if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') {
    return { value: word, start: token.start, end: token.end };
  }
  if (word === 'NOT') return finishNot(scanner, token);
  if (word === 'IS') return finishIs(scanner, token);
  if (token.kind === 'operator') {
    scanner.fail(token.start, `unknown comparator '${token.raw}'; use one of =, !=, >, >=, <, <=`);
  }
  const hint = token.start === path.end && token.kind !== 'end' ? quoteKeyHint(scanner, path) : '';
  return scanner.fail(
    token.start,
    `expected a comparator after '${key}', found ${scanner.describe(token)}${hint}`,
  );
}

/** A special character glued to a key usually means the key needed quoting: suggest the quoted form. */
function quoteKeyHint(scanner: SearchScanner, path: KeyPath): string {
  const [first, second] = path.segments;
  const keyStart = second?.start ?? path.start;
  const prefix = second && first ? scanner.input.slice(first.start, first.end) + '.' : '';
  const key = scanner.input.slice(keyStart, scanner.gluedEnd(path.end));
  return ` (keys with special characters must be quoted: ${prefix}\`${key}\`)`;
}

function finishNot(scanner: SearchScanner, not: Token): ComparatorToken {
  const token = scanner.next();
  if (token.kind === 'word' && token.text.toUpperCase() === 'IN') {
    return { value: 'NOT IN', start: not.start, end: token.end };
  }
  return scanner.fail(token.start, `expected IN after 'NOT', found ${scanner.describe(token)}`);
}

function finishIs(scanner: SearchScanner, is: Token): ComparatorToken {
  let token = scanner.next();
  const negated = token.kind === 'word' && token.text.toUpperCase() === 'NOT';
  if (negated) token = scanner.next();
  if (token.kind === 'word' && token.text.toUpperCase() === 'NULL') {
    return { value: negated ? 'IS NOT NULL' : 'IS NULL', start: is.start, end: token.end };
  }
  const expected = negated ? "NULL after 'IS NOT'" : "NULL or NOT NULL after 'IS'";
  return scanner.fail(token.start, `expected ${expected}, found ${scanner.describe(token)}`);
}

function readNumber(scanner: SearchScanner, context: string, target: Target): number {
  const token = scanner.next();
  if (token.kind === 'number') return Number(token.raw);
  const hint = token.kind === 'string' ? ` (${target.label} compare with unquoted numbers)` : '';
  return scanner.fail(
    token.start,
    `expected a number after '${context}', found ${scanner.describe(token)}${hint}`,
  );
}

function readString(scanner: SearchScanner, context: string, target: Target): string {
  const token = scanner.next();
  if (token.kind === 'string' && token.quote !== '`') return token.text;
  let hint = '';
  if (token.kind === 'string') hint = ' (backticks quote keys; quote values with \' or ")';
  else if (token.kind === 'number') hint = ` (${target.label} values are strings: write '${token.raw}')`;
  else if (token.kind === 'word') hint = ` (quote string values: '${token.raw}')`;
  return scanner.fail(
    token.start,
    `expected a quoted string after '${context}', found ${scanner.describe(token)}${hint}`,
  );
}

/** Reads `('a', "b", ...)`; a trailing comma is allowed because Python renders 1-tuples as `('a',)`. */
function readStringList(scanner: SearchScanner, context: string): string[] {
  const open = scanner.next();
  if (open.raw !== '(' || open.kind !== 'punct') {
    scanner.fail(
      open.start,
      `expected a parenthesized list after '${context}', found ${scanner.describe(open)}`,
    );
  }
  const values: string[] = [];
  for (;;) {
    const item = scanner.next();
    if (item.raw === ')' && item.kind === 'punct' && values.length > 0) return values;
    if (item.raw === ')' && item.kind === 'punct') {
      scanner.fail(item.start, `the list after '${context}' is empty; give at least one quoted string`);
    }
    if (item.kind !== 'string' || item.quote === '`') {
      scanner.fail(
        item.start,
        `expected a quoted string in the list after '${context}', found ${scanner.describe(item)}`,
      );
    }
    values.push(item.text);
    const separator = scanner.next();
    if (separator.raw === ')' && separator.kind === 'punct') return values;
    if (separator.raw !== ',' || separator.kind !== 'punct') {
      scanner.fail(
        separator.start,
        `expected ',' or ')' in the list after '${context}', found ${scanner.describe(separator)}`,
      );
    }
  }
}

// ---------------------------------------------------------------- key resolution

/** A key split into its entity prefix and the key proper. */
export interface SplitKey {
  /** Entity prefix as written, or undefined for a bare key. */
  entity?: { text: string; start: number };
  key: string;
  keyStart: number;
}

/**
 * Splits `prefix.key` at the first dot. After the prefix the key is either one quoted segment or
 * dotted bare words (`tags.mlflow.runName`), never a mix, so that quoting is unambiguous.
 */
export function splitKey(scanner: SearchScanner, path: KeyPath): SplitKey {
  const [first, ...rest] = path.segments;
  if (!first) return scanner.fail(path.start, 'expected a key');
  const keyParts = rest.length === 0 ? [first] : rest;
  const firstKey = keyParts[0] ?? first;
  const lastKey = keyParts[keyParts.length - 1] ?? first;
  if (keyParts.length > 1) {
    const quoted = keyParts.find((s) => s.quoted);
    if (quoted) scanner.fail(quoted.start, 'quote the whole key after the prefix, e.g. tags.`a.b c`');
  }
  const key = keyParts.length === 1 ? firstKey.text : scanner.input.slice(firstKey.start, lastKey.end);
  if (key === '') scanner.fail(firstKey.start, `empty key in '${scanner.input.slice(path.start, path.end)}'`);
  const entity = rest.length === 0 ? undefined : { text: first.text, start: first.start };
  return { entity, key, keyStart: firstKey.start };
}

function resolveRunEntity(scanner: SearchScanner, split: SplitKey): RunEntity {
  if (!split.entity) return 'attribute';
  const entity = RUN_ENTITIES.get(split.entity.text);
  if (entity) return entity;
  return scanner.fail(
    split.entity.start,
    `unknown entity '${split.entity.text}'; use one of metrics, params, tags, attributes, datasets`,
  );
}

function resolveRunTarget(scanner: SearchScanner, path: KeyPath): Target {
  const split = splitKey(scanner, path);
  const entity = resolveRunEntity(scanner, split);
  const key = split.key;
  switch (entity) {
    case 'metric':
      return { entity, key, valueType: 'number', comparators: NUMERIC, label: 'metrics' };
    case 'param':
      return { entity, key, valueType: 'string', comparators: STRING, label: 'params' };
    case 'tag':
      return { entity, key, valueType: 'string', comparators: STRING_OR_NULL, label: 'tags' };
    case 'dataset':
      if (!DATASET_FIELDS.has(key)) {
        scanner.fail(split.keyStart, `unknown dataset field '${key}'; use one of name, digest, context`);
      }
      return { entity, key, valueType: 'string', comparators: STRING_OR_SET, label: 'datasets' };
    case 'attribute':
      return resolveRunAttribute(scanner, split);
  }
}

function resolveRunAttribute(scanner: SearchScanner, split: SplitKey): Target {
  const key = RUN_ATTRIBUTE_ALIASES.get(split.key) ?? split.key;
  const label = `attribute '${key}'`;
  if (NUMERIC_RUN_ATTRIBUTES.has(key)) {
    return { entity: 'attribute', key, valueType: 'number', comparators: NUMERIC, label };
  }
  if (STRING_RUN_ATTRIBUTES.has(key)) {
    // MLflow accepts a list only for run_id among the attributes.
    const comparators = key === 'run_id' ? STRING_OR_SET : STRING;
    return { entity: 'attribute', key, valueType: 'string', comparators, label };
  }
  const valid = [...STRING_RUN_ATTRIBUTES, ...NUMERIC_RUN_ATTRIBUTES].join(', ');
  return scanner.fail(split.keyStart, `unknown run attribute '${split.key}'; use one of ${valid}`);
}

function resolveExperimentTarget(scanner: SearchScanner, path: KeyPath): Target {
  const split = splitKey(scanner, path);
  const entity = resolveExperimentEntity(scanner, split);
  const key = split.key;
  if (entity === 'tag') return { entity, key, valueType: 'string', comparators: STRING, label: 'tags' };
  const label = `attribute '${key}'`;
  if (key === 'name') return { entity, key, valueType: 'string', comparators: STRING, label };
  if (NUMERIC_EXPERIMENT_ATTRIBUTES.has(key)) {
    return { entity, key, valueType: 'number', comparators: NUMERIC, label };
  }
  return scanner.fail(
    split.keyStart,
    `unknown experiment attribute '${key}'; use one of name, creation_time, last_update_time`,
  );
}

function resolveExperimentEntity(scanner: SearchScanner, split: SplitKey): 'attribute' | 'tag' {
  if (!split.entity) return 'attribute';
  const entity = EXPERIMENT_ENTITIES.get(split.entity.text);
  if (entity) return entity;
  return scanner.fail(split.entity.start, `unknown entity '${split.entity.text}'; use attributes or tags`);
}

// ---------------------------------------------------------------- order_by

/** One parsed order_by entry, its key still unresolved. */
export interface OrderEntry {
  scanner: SearchScanner;
  path: KeyPath;
  ascending: boolean;
}

/** Parses `key [ASC|DESC]`; the direction is case-insensitive and defaults to ascending. */
export function parseOrderEntry(entry: string, field: string): OrderEntry {
  const scanner = new SearchScanner(entry, field);
  const path = readKey(scanner, 'an order_by key such as metrics.acc');
  const key = entry.slice(path.start, path.end);
  let ascending = true;
  if (scanner.atKeyword('ASC') || scanner.atKeyword('DESC')) {
    ascending = scanner.next().text.toUpperCase() === 'ASC';
  } else if (scanner.peek().kind !== 'end') {
    const found = scanner.peek();
    scanner.fail(found.start, `expected ASC or DESC after '${key}', found ${scanner.describe(found)}`);
  }
  const rest = scanner.peek();
  if (rest.kind !== 'end') {
    const written = entry.slice(path.start, rest.start).trimEnd();
    scanner.fail(rest.start, `expected end of order_by after '${written}', found ${scanner.describe(rest)}`);
  }
  return { scanner, path, ascending };
}

function resolveRunOrderKey(scanner: SearchScanner, path: KeyPath, ascending: boolean): RunOrderKey {
  const split = splitKey(scanner, path);
  const entity = resolveRunEntity(scanner, split);
  if (entity === 'dataset') {
    return scanner.fail(
      split.entity?.start ?? path.start,
      'datasets cannot be used in order_by; use metrics, params, tags or attributes',
    );
  }
  if (entity !== 'attribute') return { entity, key: split.key, ascending };
  const key = RUN_ATTRIBUTE_ALIASES.get(split.key) ?? split.key;
  if (!isOrderableRunAttribute(key)) {
    const valid = [...ORDERABLE_RUN_ATTRIBUTES].join(', ');
    return scanner.fail(
      split.keyStart,
      `unknown run attribute '${split.key}' for order_by; use one of ${valid}`,
    );
  }
  return { entity, key, ascending };
}

function isOrderableRunAttribute(key: string): key is OrderableRunAttribute {
  return (ORDERABLE_RUN_ATTRIBUTES as ReadonlySet<string>).has(key);
}

function resolveExperimentOrderKey(scanner: SearchScanner, path: KeyPath): OrderableExperimentAttribute {
  const split = splitKey(scanner, path);
  if (split.entity && EXPERIMENT_ENTITIES.get(split.entity.text) !== 'attribute') {
    scanner.fail(
      split.entity.start,
      `experiments can only be ordered by attributes, found '${split.entity.text}'`,
    );
  }
  if ((ORDERABLE_EXPERIMENT_ATTRIBUTES as ReadonlySet<string>).has(split.key)) {
    return split.key as OrderableExperimentAttribute;
  }
  const valid = [...ORDERABLE_EXPERIMENT_ATTRIBUTES].join(', ');
  return scanner.fail(
    split.keyStart,
    `unknown experiment attribute '${split.key}' for order_by; use one of ${valid}`,
  );
}
