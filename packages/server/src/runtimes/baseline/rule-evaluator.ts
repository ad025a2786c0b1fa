/**
 * Evaluates parsed rule expressions against one input row with SQL-like three-valued logic:
 * null means "unknown", comparisons and arithmetic with null are null, `and`/`or` follow Kleene's
 * tables. Run-time type mismatches (a column holding a string compared with a number) and division
 * by zero yield null rather than failing the whole batch; docs/baselines.md has the full table.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow } from '../runtime.js';
import type { ArithmeticOp, CompareOp, Expr, Scalar } from './rule-expression.js';

/** Computes `expr` over `row`; a column holding a non-scalar value is refused, naming `fieldPrefix.column`. */
export function evaluateExpression(expr: Expr, row: InputRow, fieldPrefix = 'row'): Scalar {
  return new Evaluator(row, fieldPrefix).eval(expr);
}

/** True only when `expr` evaluates to exactly `true` (null, false and non-booleans do not match). */
export function matches(expr: Expr, row: InputRow, fieldPrefix = 'row'): boolean {
  return evaluateExpression(expr, row, fieldPrefix) === true;
}

class Evaluator {
  constructor(
    private readonly row: InputRow,
    private readonly fieldPrefix: string,
  ) {}

  eval(expr: Expr): Scalar {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'column':
        return this.column(expr.name);
      case 'negate': {
        const value = this.eval(expr.operand);
        return typeof value === 'number' ? normalize(-value) : null;
      }
      case 'not': {
        const value = this.eval(expr.operand);
        return typeof value === 'boolean' ? !value : null;
      }
      case 'arithmetic':
        return arithmetic(expr.op, this.eval(expr.left), this.eval(expr.right));
      case 'compare':
        return compare(expr.op, this.eval(expr.left), this.eval(expr.right));
      case 'logical':
        return expr.op === 'and' ? this.and(expr.left, expr.right) : this.or(expr.left, expr.right);
      case 'in':
        return this.in(expr);
      case 'isNull': {
        const isNull = this.eval(expr.operand) === null;
        return expr.negated ? !isNull : isNull;
      }
    }
  }

  private column(name: string): Scalar {
    const value = this.row[name];
    if (value === undefined || value === null) return null;
    if (typeof value === 'number') return normalize(value);
    if (typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'bigint') return Number(value);
    const kind = Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
    throw invalidArgument(
      `${this.fieldPrefix}.${name}`,
      `Column '${name}' holds ${kind}; rule expressions read numbers, strings, booleans or null`,
    );
  }

  // `false and x` is false and `true or x` is true even when x is null: the right side is skipped.
  private and(left: Expr, right: Expr): Scalar {
    const a = asBoolean(this.eval(left));
    if (a === false) return false;
    const b = asBoolean(this.eval(right));
    if (b === false) return false;
    return a === true && b === true ? true : null;
  }

  private or(left: Expr, right: Expr): Scalar {
    const a = asBoolean(this.eval(left));
    if (a === true) return true;
    const b = asBoolean(this.eval(right));
    if (b === true) return true;
    return a === false && b === false ? false : null;
  }

  // SQL: true on a match; otherwise null if any comparison was null (unknown), else false.
  private in(expr: Extract<Expr, { kind: 'in' }>): Scalar {
    const operand = this.eval(expr.operand);
    if (operand === null) return null;
    let unknown = false;
    for (const item of expr.items) {
      const equal = compare('=', operand, this.eval(item));
      if (equal === true) return !expr.negated;
      if (equal === null) unknown = true;
    }
    return unknown ? null : expr.negated;
  }
}

function asBoolean(value: Scalar): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

// NaN is read as missing so that it never compares unequal to everything, as it would in JS.
function normalize(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function arithmetic(op: ArithmeticOp, a: Scalar, b: Scalar): Scalar {
  if (typeof a !== 'number' || typeof b !== 'number') return null;
  switch (op) {
    case '+':
      return normalize(a + b);
    case '-':
      return normalize(a - b);
    case '*':
      return normalize(a * b);
    case '/':
      return b === 0 ? null : normalize(a / b);
  }
}

function compare(op: CompareOp, a: Scalar, b: Scalar): Scalar {
  if (a === null || b === null || typeof a !== typeof b) return null;
  // Same primitive type here: numbers numerically, strings by UTF-16 code unit, false < true.
  const order = a < b ? -1 : a > b ? 1 : 0;
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}
