import { describe, expect, it } from 'vitest';
import { evaluateExpression, matches } from '../../../src/runtimes/baseline/rule-evaluator.js';
import {
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  parseExpression,
  referencedColumns,
  type Scalar,
} from '../../../src/runtimes/baseline/rule-expression.js';
import { refusal } from '../../helpers/refusal.js';

const ROW = {
  age: 30,
  income: 5000,
  zero: 0,
  country: 'FR',
  tier: 'gold',
  vip: true,
  blocked: false,
  missing: null,
  'account age': 12,
  and: 7,
  nan: Number.NaN,
};

function evaluate(source: string, row: Record<string, unknown> = ROW): Scalar {
  return evaluateExpression(parseExpression(source, 'when'), row);
}

describe('rule expressions: parse and evaluate', () => {
  const cases: [string, Scalar][] = [
    // literals and columns
    ['42', 42],
    ['1.5e2', 150],
    ['.5', 0.5],
    ["'it''s'", "it's"],
    ['"double"', 'double'],
    ['TRUE', true],
    ['false', false],
    ['null', null],
    ['age', 30],
    ['`account age`', 12],
    ['`and`', 7],
    ['unknown_column', null],
    // comparisons
    ['age = 30', true],
    ['age != 30', false],
    ['age < 31', true],
    ['age <= 30', true],
    ['age > 30', false],
    ['age >= 30', true],
    ["country = 'FR'", true],
    ["country < 'GB'", true],
    ['vip = true', true],
    ['blocked < vip', true],
    // arithmetic and precedence
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['12 / 3 / 2', 2],
    ['-age + 1', -29],
    ['- -3', 3],
    ['2 * -3', -6],
    ['income / age > 100', true],
    ['income / zero', null],
    ['income / zero > 1', null],
    ['age + missing', null],
    ['age + country', null],
    ['nan = nan', null],
    // logic and precedence: not > and > or
    ['age > 18 and vip', true],
    ['age > 40 or vip and blocked', false],
    ['(age > 40 or vip) and not blocked', true],
    ['not age > 40', true],
    ['NOT vip OR blocked', false],
    ['age = 30 AnD vip', true],
    ['Age = 30', null], // column names are case-sensitive, keywords are not
    // three-valued logic
    ['missing > 1', null],
    ['missing = missing', null],
    ['missing > 1 and false', false],
    ['false and missing > 1', false],
    ['missing > 1 and true', null],
    ['missing > 1 or true', true],
    ['missing > 1 or false', null],
    ['not missing > 1', null],
    ['country > 1', null],
    ["age > 'ten'", null],
    ['age and vip', null],
    // in-lists
    ["country in ('FR', 'DE')", true],
    ["country in ('US')", false],
    ["country not in ('US', 'GB')", true],
    ["tier NOT IN ('gold')", false],
    ['age in (10, 20 + 10)', true],
    ['missing in (1, 2)', null],
    ['missing not in (1, 2)', null],
    ['age in (1, missing)', null],
    ['age in (30, missing)', true],
    // is null
    ['missing is null', true],
    ['missing IS NOT NULL', false],
    ['unknown_column is null', true],
    ['age is not null', true],
    ['income / zero is null', true],
    ['(missing > 1) is null', true],
  ];

  it.each(cases)('%s → %j', (source, expected) => {
    expect(evaluate(source)).toBe(expected);
  });

  it('reads bigints as numbers and refuses non-scalar columns, naming the field', () => {
    expect(evaluate('n > 1', { n: 5n })).toBe(true);
    const error = refusal(() => evaluateExpression(parseExpression('x = 1', 'when'), { x: [1] }, 'rows[3]'));
    expect(error.details.field).toBe('rows[3].x');
  });

  it('treats only true as a match', () => {
    const expr = parseExpression('flag', 'when');
    expect(matches(expr, { flag: true })).toBe(true);
    expect(matches(expr, { flag: 1 })).toBe(false);
    expect(matches(expr, { flag: null })).toBe(false);
  });

  it('lists referenced columns in order of first appearance', () => {
    const expr = parseExpression("b > 1 and (a in (c, 2) or b is null) and `x y` = 'z'", 'when');
    expect(referencedColumns(expr)).toEqual(['b', 'a', 'c', 'x y']);
  });
});

describe('rule expressions: errors', () => {
  const malformed: [string, number, RegExp][] = [
    ['', 0, /expected an expression, found end of input/],
    ['age >', 5, /expected a value, a column or '\(', found end of input/],
    ['age > > 3', 6, /found '>'/],
    ['(age > 3', 8, /expected '\)' to close '\(' at position 0/],
    ['age > 3)', 7, /expected an operator, 'and', 'or' or end of input, found '\)'/],
    ["country = 'FR", 10, /unterminated string; expected a closing '/],
    ['`account age = 1', 0, /unterminated column name/],
    ['`` = 1', 0, /empty column name/],
    ['age == 3', 4, /'==' is not an operator; use '='/],
    ['age <> 3', 4, /use '!='/],
    ['age ! 3', 4, /expected '=' after '!'/],
    ['age # 3', 4, /unexpected character '#'/],
    ['age > 3abc', 6, /invalid number '3abc'/],
    ['age > 1.', 8, /expected a digit after '1\.'/],
    ['age > 1e', 7, /expected exponent digits/],
    ['age > 1e999', 6, /out of range/],
    ['age in 1, 2', 7, /expected '\(' after 'in'/],
    ['age in ()', 8, /expected a value in the in-list/],
    ['age in (1 2)', 10, /expected ',' or '\)' in the in-list/],
    ['age in (1,', 10, /found end of input/],
    ['age not 3', 8, /expected 'in' after 'not'/],
    ['age is 3', 7, /expected 'null' or 'not null' after 'is'/],
    ['age is not 3', 11, /expected 'null' after 'is'/],
    ['age > 1 and', 11, /found end of input/],
    ['1 < age < 3', 8, /expected an operator, 'and', 'or' or end of input, found '<'/],
    ["age + 'x' > 1", 6, /expected a number for '\+', found string "x"/],
    ['-true', 1, /expected a number for unary '-'/],
    ['age * null', 6, /expected a number for '\*', found null/],
    ['missing > 1 is null', 12, /found 'is'/],
    ["3 = 'x'", 4, /cannot compare number 3 with string "x" using '='/],
    ['age = null', 6, /use 'is null' or 'is not null'/],
    ['age in (1, null)', 11, /use 'is null'/],
    ["1 in (1, 'a')", 9, /cannot compare number 1 with string "a" using 'in'/],
    ['1 and vip', 0, /expected a condition .* for 'and', found number 1/],
    ["not 'x'", 4, /expected a condition .* for 'not'/],
    ['vip or (1 + 2)', 7, /for 'or', found a number expression/],
  ];

  it.each(malformed)('%j fails at position %i', (source, position, message) => {
    const error = refusal(() => parseExpression(source, 'rules[2].when'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ field: 'rules[2].when', position });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`Invalid rules[2].when at position ${position}:`);
  });

  it('checks column types from a contract', () => {
    const types = new Map([
      ['country', 'string' as const],
      ['age', 'number' as const],
    ]);
    expect(() => parseExpression("country = 'FR' and age > 3", 'when', types)).not.toThrow();
    const error = refusal(() => parseExpression('country > 3', 'when', types));
    expect(error.message).toMatch(/cannot compare string column 'country' with number 3/);
    expect(error.details.position).toBe(10);
  });

  it('refuses nesting deeper than the limit at the level that is too deep', () => {
    const ok = `${'('.repeat(MAX_EXPRESSION_DEPTH)}1${')'.repeat(MAX_EXPRESSION_DEPTH)}`;
    expect(evaluate(ok)).toBe(1);
    const deep = `${'('.repeat(MAX_EXPRESSION_DEPTH + 1)}1${')'.repeat(MAX_EXPRESSION_DEPTH + 1)}`;
    const error = refusal(() => parseExpression(deep, 'when'));
    expect(error.details.position).toBe(MAX_EXPRESSION_DEPTH);
    expect(error.message).toMatch(/nests deeper than 32 levels/);
    const nots = refusal(() => parseExpression(`${'not '.repeat(MAX_EXPRESSION_DEPTH + 1)}vip`, 'when'));
    expect(nots.details.position).toBe(4 * MAX_EXPRESSION_DEPTH);
    const minus = refusal(() => parseExpression(`${'-'.repeat(MAX_EXPRESSION_DEPTH + 1)}1`, 'when'));
    expect(minus.details.position).toBe(MAX_EXPRESSION_DEPTH);
  });

  it('refuses expressions longer than the limit', () => {
    const long = `age > 1${' '.repeat(MAX_EXPRESSION_LENGTH)}`;
    const error = refusal(() => parseExpression(long, 'when'));
    expect(error.details.position).toBe(MAX_EXPRESSION_LENGTH);
    expect(error.message).toMatch(/longer than 4096 characters/);
  });

  it('parses a long flat chain within the length limit', () => {
    const source = Array.from({ length: 1000 }, () => '1').join('+');
    expect(evaluate(source)).toBe(1000);
  });
});
