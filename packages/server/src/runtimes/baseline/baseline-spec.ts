/**
 * The `baseline` runtime's spec: one JSON/YAML object whose `kind` picks constant, rules, lookup
 * or SQL. `parseBaselineSpec` validates untrusted input once, naming the offending sub-field;
 * `loadBaseline` turns a valid spec into a model. Formats: docs/baselines.md.
 */
import { SlipwayError, invalidArgument, type ModelContract } from '@slipway/contracts';
import type { LoadedModel } from '../runtime.js';
import {
  checkQuantile,
  loadConstantBaseline,
  type ConstantBaselineSpec,
  type RegressionStrategy,
} from './constant-baseline.js';
import {
  loadLookupBaseline,
  parseDuration,
  type LookupBaselineSpec,
  type LookupEntry,
} from './lookup-baseline.js';
import { parseExpression } from './rule-expression.js';
import {
  loadRulesBaseline,
  type JsonValue,
  type RuleSpec,
  type RulesBaselineSpec,
} from './rules-baseline.js';
import { loadSqlBaseline } from './sql-baseline.js';

/** A SQL baseline: a SELECT over the batch's rows (implemented in sql-baseline.ts). */
export interface SqlBaselineSpec {
  kind: 'sql';
  query: string;
  timeoutMs?: number;
  /** Name of the single output when the query returns one column besides `row_id`. */
  output?: string;
}

/** Any baseline spec. */
export type BaselineSpec = ConstantBaselineSpec | RulesBaselineSpec | LookupBaselineSpec | SqlBaselineSpec;

/** The kinds of baseline. */
export const BASELINE_KINDS = ['constant', 'rules', 'lookup', 'sql'] as const;

/** Most rules one spec may hold; a longer list is a model, not a baseline. */
export const MAX_RULES = 1000;

const MAX_JSON_DEPTH = 16;
const PROBABILITY_SUM_TOLERANCE = 1e-6;

type Json = Record<string, unknown>;

/** Validates untrusted `json` as a baseline spec; errors are INVALID_ARGUMENT naming `field.sub.field`. */
export function parseBaselineSpec(json: unknown, field: string): BaselineSpec {
  const spec = object(json, field);
  switch (spec.kind) {
    case 'constant':
      return parseConstant(spec, field);
    case 'rules':
      return parseRules(spec, field);
    case 'lookup':
      return parseLookup(spec, field);
    case 'sql':
      return parseSql(spec, field);
    default:
      throw invalidArgument(
        `${field}.kind`,
        `${field}.kind must be one of ${BASELINE_KINDS.join(', ')}, got ${describe(spec.kind)}`,
      );
  }
}

/** Loads a valid spec as a model; rules are checked against `contract` when given. */
export async function loadBaseline(spec: BaselineSpec, contract?: ModelContract): Promise<LoadedModel> {
  switch (spec.kind) {
    case 'constant':
      return withContract(loadConstantBaseline(spec), contract);
    case 'rules':
      return loadRulesBaseline(spec, contract);
    case 'lookup':
      return withContract(loadLookupBaseline(spec), contract);
    case 'sql':
      return loadSqlBaseline(spec, contract);
    default:
      throw new SlipwayError('FAILED_PRECONDITION', `Unknown baseline kind ${describe((spec as Json).kind)}`);
  }
}

function withContract(model: LoadedModel, contract: ModelContract | undefined): LoadedModel {
  return contract ? { contract, predict: (rows) => model.predict(rows), close: () => model.close() } : model;
}

// ---------------------------------------------------------------- kinds

function parseConstant(spec: Json, field: string): ConstantBaselineSpec {
  if (spec.task === 'classification') {
    allowKeys(spec, field, ['kind', 'task', 'strategy', 'label', 'probabilities']);
    if (spec.strategy !== undefined && spec.strategy !== 'majority') {
      throw invalidArgument(`${field}.strategy`, `${field}.strategy must be 'majority' for classification`);
    }
    const label = spec.label;
    if (typeof label !== 'string' && !(typeof label === 'number' && Number.isFinite(label))) {
      throw invalidArgument(`${field}.label`, `${field}.label must be a string or a finite number`);
    }
    const probabilities = parseProbabilities(spec.probabilities, `${field}.probabilities`);
    if (!(String(label) in probabilities)) {
      throw invalidArgument(
        `${field}.label`,
        `${field}.label ${describe(label)} has no entry in probabilities`,
      );
    }
    return { kind: 'constant', task: 'classification', strategy: 'majority', label, probabilities };
  }
  if (spec.task === 'regression') {
    allowKeys(spec, field, ['kind', 'task', 'strategy', 'q', 'prediction']);
    const strategy = oneOf<RegressionStrategy>(spec.strategy, `${field}.strategy`, [
      'mean',
      'median',
      'quantile',
    ]);
    const prediction = finite(spec.prediction, `${field}.prediction`);
    if (strategy !== 'quantile') {
      if (spec.q !== undefined)
        throw invalidArgument(`${field}.q`, `${field}.q is only for strategy 'quantile'`);
      return { kind: 'constant', task: 'regression', strategy, prediction };
    }
    const q = checkQuantile(spec.q, `${field}.q`);
    return { kind: 'constant', task: 'regression', strategy, q, prediction };
  }
  throw invalidArgument(`${field}.task`, `${field}.task must be 'classification' or 'regression'`);
}

function parseProbabilities(value: unknown, field: string): Record<string, number> {
  const probabilities = object(value, field);
  const out: Record<string, number> = {};
  let sum = 0;
  for (const [label, p] of Object.entries(probabilities)) {
    const prob = finite(p, `${field}.${label}`);
    if (prob < 0 || prob > 1)
      throw invalidArgument(`${field}.${label}`, `${field}.${label} must be between 0 and 1`);
    out[label] = prob;
    sum += prob;
  }
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
    throw invalidArgument(field, `${field} must sum to 1, got ${sum}`);
  }
  return out;
}

function parseRules(spec: Json, field: string): RulesBaselineSpec {
  allowKeys(spec, field, ['kind', 'rules', 'default', 'output']);
  const list = spec.rules;
  if (!Array.isArray(list)) throw invalidArgument(`${field}.rules`, `${field}.rules must be a list`);
  if (list.length > MAX_RULES) {
    throw invalidArgument(`${field}.rules`, `${field}.rules has ${list.length} rules; at most ${MAX_RULES}`);
  }
  const rules = list.map((rule, i) => parseRule(rule, `${field}.rules[${i}]`));
  if (!('default' in spec)) throw invalidArgument(`${field}.default`, `${field}.default is required`);
  const result: RulesBaselineSpec = {
    kind: 'rules',
    rules,
    default: jsonValue(spec.default, `${field}.default`),
  };
  if (spec.output !== undefined) result.output = name(spec.output, `${field}.output`);
  return result;
}

function parseRule(value: unknown, field: string): RuleSpec {
  const rule = object(value, field);
  allowKeys(rule, field, ['when', 'then']);
  if (typeof rule.when !== 'string') throw invalidArgument(`${field}.when`, `${field}.when must be a string`);
  // Parsed here too so that a broken rule is refused where the spec is written, not at serving.
  parseExpression(rule.when, `${field}.when`);
  if (!('then' in rule)) throw invalidArgument(`${field}.then`, `${field}.then is required`);
  return { when: rule.when, then: jsonValue(rule.then, `${field}.then`) };
}

function parseLookup(spec: Json, field: string): LookupBaselineSpec {
  allowKeys(spec, field, ['kind', 'key', 'time', 'lag', 'target', 'fallback', 'entries']);
  if (!Array.isArray(spec.key))
    throw invalidArgument(`${field}.key`, `${field}.key must be a list of column names`);
  const key = spec.key.map((column, i) => name(column, `${field}.key[${i}]`));
  const time = name(spec.time, `${field}.time`);
  const target = name(spec.target, `${field}.target`);
  if (typeof spec.lag !== 'string') throw invalidArgument(`${field}.lag`, `${field}.lag must be a string`);
  parseDuration(spec.lag, `${field}.lag`);
  const fallback = spec.fallback === null ? null : finite(spec.fallback, `${field}.fallback`);
  if (!Array.isArray(spec.entries))
    throw invalidArgument(`${field}.entries`, `${field}.entries must be a list`);
  const entries = spec.entries.map((entry, i) => parseEntry(entry, `${field}.entries[${i}]`, key.length));
  return { kind: 'lookup', key, time, lag: spec.lag, target, fallback, entries };
}

function parseEntry(value: unknown, field: string, keyLength: number): LookupEntry {
  const entry = object(value, field);
  allowKeys(entry, field, ['key', 'time', 'value']);
  if (!Array.isArray(entry.key) || entry.key.length !== keyLength) {
    throw invalidArgument(
      `${field}.key`,
      `${field}.key must be a list of ${keyLength} values, one per key column`,
    );
  }
  const key = entry.key.map((part, i) => {
    if (part === null || typeof part === 'string' || typeof part === 'boolean') return part;
    return finite(part, `${field}.key[${i}]`);
  });
  return { key, time: finite(entry.time, `${field}.time`), value: finite(entry.value, `${field}.value`) };
}

function parseSql(spec: Json, field: string): SqlBaselineSpec {
  allowKeys(spec, field, ['kind', 'query', 'timeoutMs', 'output']);
  if (typeof spec.query !== 'string' || spec.query.trim() === '') {
    throw invalidArgument(`${field}.query`, `${field}.query must be a non-empty string`);
  }
  const result: SqlBaselineSpec = { kind: 'sql', query: spec.query };
  if (spec.timeoutMs !== undefined) {
    const timeoutMs = finite(spec.timeoutMs, `${field}.timeoutMs`);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw invalidArgument(`${field}.timeoutMs`, `${field}.timeoutMs must be a positive integer`);
    }
    result.timeoutMs = timeoutMs;
  }
  if (spec.output !== undefined) result.output = name(spec.output, `${field}.output`);
  return result;
}

// ---------------------------------------------------------------- helpers

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, `${field} must be an object, got ${describe(value)}`);
  }
  return value as Json;
}

// Unknown keys are refused, as in slipway.yaml: a typo must not silently drop a setting.
function allowKeys(value: Json, field: string, keys: readonly string[]): void {
  const extra = Object.keys(value).find((key) => !keys.includes(key));
  if (extra !== undefined) {
    throw invalidArgument(
      `${field}.${extra}`,
      `${field}.${extra} is not a known key; expected ${keys.join(', ')}`,
    );
  }
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw invalidArgument(field, `${field} must be a non-empty string`);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(field, `${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArgument(field, `${field} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function jsonValue(value: unknown, field: string, depth = 0): JsonValue {
  if (depth > MAX_JSON_DEPTH)
    throw invalidArgument(field, `${field} nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return finite(value, field);
  if (Array.isArray(value)) return value.map((item, i) => jsonValue(item, `${field}[${i}]`, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) out[key] = jsonValue(item, `${field}.${key}`, depth + 1);
    return out;
  }
  throw invalidArgument(field, `${field} must be a JSON value, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify throws on bigints and skips functions; String covers both.
  const text = typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
