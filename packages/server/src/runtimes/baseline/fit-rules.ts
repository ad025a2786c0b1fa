/**
 * Fits a `rules` baseline from data: the user writes the conditions, the data fills in each rule's
 * output where the user left it out. Rows are grouped with the same first-match semantics the
 * loaded model predicts with, so a fitted output is what that rule's rows would have scored best.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow } from '../runtime.js';
import { fitConstantBaseline, type ClassLabel } from './constant-baseline.js';
import { MAX_RULES } from './baseline-spec.js';
import { matches } from './rule-evaluator.js';
import { columnReferences, parseExpression, type Expr, type StaticType } from './rule-expression.js';
import type { JsonValue, RuleSpec, RulesBaselineSpec } from './rules-baseline.js';

/** How to fit a rules baseline: conditions from the user, outputs (where omitted) from the data. */
export interface FitRulesOptions {
  task: 'classification' | 'regression';
  rules: readonly { when: string; then?: JsonValue }[];
  rows: readonly InputRow[];
  labelColumn: string;
  /** Column types for parse-time type checks (e.g. from contractColumnTypes). */
  columnTypes?: ReadonlyMap<string, StaticType>;
}

/** The output a fitted rule returns, by task: `label` is what evaluation reads for classifiers. */
export const FITTED_RULES_OUTPUT = { classification: 'label', regression: 'prediction' } as const;

/** Row indices per rule (in rule order) and those no rule matched. */
interface Assignment {
  byRule: number[][];
  unassigned: number[];
}

/**
 * Fits each rule without `then` (and the default) to the labels of the rows it would serve:
 * the majority label for classification, the mean for regression. Errors are INVALID_ARGUMENT
 * naming `rules[i].when`, `rows[i]` or `rows[i].<label>`.
 */
export function fitRulesBaseline(options: FitRulesOptions): RulesBaselineSpec {
  const { task, rules, rows, labelColumn } = options;
  if (rules.length > MAX_RULES) {
    throw invalidArgument('rules', `rules has ${rules.length} rules; at most ${MAX_RULES}`);
  }
  if (rows.length === 0) throw invalidArgument('rows', 'Cannot fit a rules baseline on no rows');
  const conditions = rules.map((rule, i) => compileCondition(rule.when, i, options));
  const labels = readLabels(rows, labelColumn, task);
  const { byRule, unassigned } = assign(conditions, rows);
  let overall: JsonValue | undefined;
  // Fitted lazily: only a rule with no rows, or a default with no rows, needs the all-rows fit.
  const fitAll = (): JsonValue => (overall ??= fitOutput(task, labels));
  const fitted: RuleSpec[] = rules.map((rule, i) => {
    if (rule.then !== undefined) return { when: rule.when, then: rule.then };
    const group = byRule[i] as number[];
    // A rule that matches no training row still needs an output; the all-rows fit is the least biased.
    return { when: rule.when, then: group.length > 0 ? fitOutput(task, pick(labels, group)) : fitAll() };
  });
  // When every row matches some rule the default serves only unseen inputs: fit it on all rows.
  const fallback = unassigned.length > 0 ? fitOutput(task, pick(labels, unassigned)) : fitAll();
  return { kind: 'rules', rules: fitted, default: fallback, output: FITTED_RULES_OUTPUT[task] };
}

/** Parses one condition and refuses columns the data lacks or that would leak the label. */
function compileCondition(when: unknown, index: number, options: FitRulesOptions): Expr {
  const field = `rules[${index}].when`;
  if (typeof when !== 'string') throw invalidArgument(field, `${field} must be a string`);
  const condition = parseExpression(when, field, options.columnTypes);
  for (const ref of columnReferences(condition)) {
    const why =
      ref.name === options.labelColumn
        ? 'which is the label column (it is not an input when the model serves)'
        : options.columnTypes && !options.columnTypes.has(ref.name)
          ? 'which is not a column of the data'
          : undefined;
    if (why) {
      throw invalidArgument(field, `Invalid ${field} at position ${ref.start}: reads '${ref.name}', ${why}`, {
        position: ref.start,
        column: ref.name,
        rule: index,
      });
    }
  }
  return condition;
}

/** Every row's label, checked here so errors name the row rather than a group's index. */
function readLabels(
  rows: readonly InputRow[],
  labelColumn: string,
  task: FitRulesOptions['task'],
): ClassLabel[] {
  const labels: ClassLabel[] = new Array<ClassLabel>(rows.length);
  let firstType: string | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw invalidArgument(`rows[${i}]`, `rows[${i}] must be an object`);
    }
    const field = `rows[${i}].${labelColumn}`;
    const label = row[labelColumn];
    if (label === undefined || label === null) throw invalidArgument(field, `${field} is missing`);
    if (task === 'regression') {
      if (typeof label !== 'number' || !Number.isFinite(label)) {
        throw invalidArgument(field, `${field} must be a finite number for a regression baseline`);
      }
    } else if (typeof label !== 'string' && !(typeof label === 'number' && Number.isFinite(label))) {
      throw invalidArgument(field, `${field} must be a string or a finite number`);
    } else if ((firstType ??= typeof label) !== typeof label) {
      // `1` and `'1'` would be one class in the output but two in the counts.
      throw invalidArgument(field, `${field} is a ${typeof label} but earlier labels are ${firstType}s`);
    }
    labels[i] = label;
  }
  return labels;
}

/** Groups row indices by the first rule that matches, as `loadRulesBaseline` predicts. */
function assign(conditions: readonly Expr[], rows: readonly InputRow[]): Assignment {
  const byRule: number[][] = conditions.map(() => []);
  const unassigned: number[] = [];
  rows.forEach((row, i) => {
    const hit = conditions.findIndex((condition) => matches(condition, row, `rows[${i}]`));
    (hit < 0 ? unassigned : (byRule[hit] as number[])).push(i);
  });
  return { byRule, unassigned };
}

function pick(labels: readonly ClassLabel[], indices: readonly number[]): ClassLabel[] {
  return indices.map((i) => labels[i] as ClassLabel);
}

/** The constant baseline's output for a group: its tie-breaking keeps refits deterministic. */
function fitOutput(task: FitRulesOptions['task'], labels: readonly ClassLabel[]): JsonValue {
  if (task === 'classification') return fitConstantBaseline({ task, labels }).label;
  return fitConstantBaseline({ task, strategy: 'mean', labels: labels as number[] }).prediction;
}
