/**
 * `rules` baselines: an ordered list of `when` conditions with fixed outputs, the first matching
 * rule wins, else the default. Expressions are parsed and checked once at load so that predict is
 * a plain tree walk per row and a broken rule never reaches serving.
 */
import { invalidArgument, type FieldType, type ModelContract } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../runtime.js';
import { matches } from './rule-evaluator.js';
import { columnReferences, parseExpression, type Expr, type StaticType } from './rule-expression.js';

/** A JSON value, as rule outputs are written in slipway.yaml or a JSON spec. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One rule: a condition over input columns and what to return when it is the first to hold. */
export interface RuleSpec {
  when: string;
  /** An object is a whole output row; any other value becomes `{ [output]: value }`. */
  then: JsonValue;
}

/** A rules baseline as declared. */
export interface RulesBaselineSpec {
  kind: 'rules';
  rules: RuleSpec[];
  /** Returned, shaped like `then`, when no rule matches. */
  default: JsonValue;
  /** Output name for non-object `then`/`default` values; `prediction` when absent. */
  output?: string;
}

/** A loaded rules model; also says which input columns its rules read. */
export interface RulesModel extends LoadedModel {
  /** Input columns any rule reads, in order of first appearance across the rules. */
  referencedColumns(): string[];
}

/** Output name used when a spec names none. */
export const DEFAULT_RULES_OUTPUT = 'prediction';

interface CompiledRule {
  condition: Expr;
  output: OutputRow;
}

/** Parses and checks every rule (against `contract` when given) and returns a model that applies them. */
export function loadRulesBaseline(spec: RulesBaselineSpec, contract?: ModelContract): RulesModel {
  const outputName = spec.output ?? DEFAULT_RULES_OUTPUT;
  const columnTypes = contract ? contractColumnTypes(contract) : undefined;
  const rules: CompiledRule[] = spec.rules.map((rule, i) => {
    const field = `rules[${i}].when`;
    const condition = parseExpression(rule.when, field, columnTypes);
    if (columnTypes) checkColumnsExist(condition, field, i, columnTypes);
    return { condition, output: outputRow(rule.then, outputName) };
  });
  const fallback = outputRow(spec.default, outputName);
  if (contract) checkOutputs(contract, rules, fallback);
  const columns = [...new Set(rules.flatMap((rule) => columnReferences(rule.condition).map((r) => r.name)))];
  return {
    ...(contract ? { contract } : {}),
    predict: async (rows) => rows.map((row, i) => applyRules(rules, fallback, row, i)),
    close: async () => {},
    referencedColumns: () => [...columns],
  };
}

function applyRules(
  rules: readonly CompiledRule[],
  fallback: OutputRow,
  row: InputRow,
  i: number,
): OutputRow {
  const prefix = `rows[${i}]`;
  const hit = rules.find((rule) => matches(rule.condition, row, prefix));
  // A fresh copy per row: callers may mutate what they get without changing the model.
  return structuredClone(hit ? hit.output : fallback);
}

function outputRow(value: JsonValue, outputName: string): OutputRow {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ...value };
  return { [outputName]: value };
}

function checkColumnsExist(
  condition: Expr,
  field: string,
  index: number,
  columnTypes: ReadonlyMap<string, StaticType>,
) {
  const unknown = columnReferences(condition).find((ref) => !columnTypes.has(ref.name));
  if (unknown) {
    throw invalidArgument(
      field,
      `Invalid ${field} at position ${unknown.start}: rule ${index} reads column '${unknown.name}', ` +
        `which is not an input of the contract`,
      { position: unknown.start, column: unknown.name, rule: index },
    );
  }
}

// Outputs are checked only when the contract lists some: an empty output schema promises nothing.
function checkOutputs(contract: ModelContract, rules: readonly CompiledRule[], fallback: OutputRow): void {
  const declared = new Set(contract.outputs.fields.map((f) => f.name));
  if (declared.size === 0) return;
  const rows = [
    ...rules.map((rule, i) => [`rules[${i}].then`, rule.output] as const),
    ['default', fallback] as const,
  ];
  for (const [field, row] of rows) {
    const extra = Object.keys(row).find((key) => !declared.has(key));
    if (extra !== undefined) {
      throw invalidArgument(
        field,
        `${field} returns output '${extra}', which is not an output of the contract`,
      );
    }
  }
}

/** Static types of a contract's input columns, for checking rules before they run. */
export function contractColumnTypes(contract: ModelContract): ReadonlyMap<string, StaticType> {
  return new Map(contract.inputs.fields.map((f) => [f.name, staticType(f.type)]));
}

function staticType(type: FieldType): StaticType {
  if (type === 'boolean') return 'boolean';
  if (type === 'string') return 'string';
  if (type.startsWith('int') || type.startsWith('uint') || type.startsWith('float')) return 'number';
  // datetime, binary and object columns arrive in several encodings; nothing is assumed.
  return 'unknown';
}
