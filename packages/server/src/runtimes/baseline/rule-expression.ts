/**
 * Tokenizer, parser and static type check for the rule expression language of `rules` baselines
 * (grammar and semantics: docs/baselines.md). Single pass over the input, no regular expressions
 * over the whole string, bounded length and nesting, so any input costs linear time. Pure: no I/O.
 */
import { invalidArgument } from '@slipway/contracts';

/** Longest expression accepted, in UTF-16 code units. */
export const MAX_EXPRESSION_LENGTH = 4096;

/** Deepest nesting accepted: parentheses, in-lists, `not` and unary minus each add a level. */
export const MAX_EXPRESSION_DEPTH = 32;

/** A value an expression computes: SQL-like scalars, `null` for missing or unknown. */
export type Scalar = number | string | boolean | null;

/** Comparison operators. */
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** Arithmetic operators. */
export type ArithmeticOp = '+' | '-' | '*' | '/';

/** Source span of a node (zero-based, end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/** A parsed expression node. */
export type Expr =
  | ({ kind: 'literal'; value: Scalar } & Span)
  | ({ kind: 'column'; name: string } & Span)
  | ({ kind: 'negate'; operand: Expr } & Span)
  | ({ kind: 'not'; operand: Expr } & Span)
  | ({ kind: 'arithmetic'; op: ArithmeticOp; left: Expr; right: Expr; opStart: number } & Span)
  | ({ kind: 'compare'; op: CompareOp; left: Expr; right: Expr; opStart: number } & Span)
  | ({ kind: 'logical'; op: 'and' | 'or'; left: Expr; right: Expr } & Span)
  | ({ kind: 'in'; negated: boolean; operand: Expr; items: Expr[] } & Span)
  | ({ kind: 'isNull'; negated: boolean; operand: Expr } & Span);

/** What the static check knows of a value's type; `unknown` for columns without a contract type. */
export type StaticType = 'number' | 'string' | 'boolean' | 'null' | 'unknown';

/** Maps a column name to its static type (from a contract); absent columns are `unknown`. */
export type ColumnTypes = ReadonlyMap<string, StaticType>;

type TokenKind = 'number' | 'string' | 'identifier' | 'keyword' | 'operator' | 'punct' | 'end';

interface Token extends Span {
  kind: TokenKind;
  /** Source text as written. */
  raw: string;
  /** Unescaped content for strings and quoted identifiers; lower-cased for keywords. */
  text: string;
}

const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false']);
const COMPARE_OPS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const MAX_PREVIEW = 30;

/** Parses `source` and checks its types; errors are INVALID_ARGUMENT naming `field` with a position. */
export function parseExpression(source: string, field: string, columnTypes?: ColumnTypes): Expr {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw fail(field, MAX_EXPRESSION_LENGTH, `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const expr = new Parser(new Scanner(source, field)).parse();
  checkTypes(expr, field, columnTypes);
  return expr;
}

/** The static type of `expr` (after a successful parse); rejects mismatches at their position. */
export function checkTypes(expr: Expr, field: string, columnTypes?: ColumnTypes): StaticType {
  return new TypeChecker(field, columnTypes ?? new Map()).typeOf(expr);
}

/** Column names an expression reads, in order of first appearance. */
export function referencedColumns(expr: Expr): string[] {
  return [...new Set(columnReferences(expr).map((ref) => ref.name))];
}

/** Every column reference in source order, with its position (for errors naming one use). */
export function columnReferences(expr: Expr): { name: string; start: number }[] {
  const refs: { name: string; start: number }[] = [];
  collectColumns(expr, refs);
  return refs;
}

function collectColumns(expr: Expr, refs: { name: string; start: number }[]): void {
  switch (expr.kind) {
    case 'literal':
      return;
    case 'column':
      refs.push({ name: expr.name, start: expr.start });
      return;
    case 'negate':
    case 'not':
    case 'isNull':
      collectColumns(expr.operand, refs);
      return;
    case 'in':
      collectColumns(expr.operand, refs);
      for (const item of expr.items) collectColumns(item, refs);
      return;
    default:
      collectColumns(expr.left, refs);
      collectColumns(expr.right, refs);
  }
}

function fail(field: string, position: number, detail: string): Error {
  return invalidArgument(field, `Invalid ${field} at position ${position}: ${detail}`, { position });
}

// ---------------------------------------------------------------- tokenizer

class Scanner {
  private pos = 0;
  private peeked: Token | undefined;

  constructor(
    readonly input: string,
    readonly field: string,
  ) {}

  fail(position: number, detail: string): never {
    throw fail(this.field, position, detail);
  }

  peek(): Token {
    this.peeked ??= this.scan();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    this.pos = token.end;
    return token;
  }

  private scan(): Token {
    this.pos = this.scanWhile(this.pos, isSpace);
    const start = this.pos;
    const ch = this.input[start];
    if (ch === undefined) return this.token('end', start, start);
    if (ch === "'" || ch === '"' || ch === '`') return this.scanQuoted(start, ch);
    if (isDigit(ch) || (ch === '.' && isDigit(this.input[start + 1] ?? ''))) return this.scanNumber(start);
    if (isWordStart(ch)) return this.scanWord(start);
    if (ch === '(' || ch === ')' || ch === ',') return this.token('punct', start, start + 1);
    return this.scanOperator(start, ch);
  }

  private token(kind: TokenKind, start: number, end: number, text?: string): Token {
    const raw = this.input.slice(start, end);
    return { kind, raw, text: text ?? raw, start, end };
  }

  private scanWhile(from: number, accept: (ch: string) => boolean): number {
    let i = from;
    while (i < this.input.length && accept(this.input[i] as string)) i++;
    return i;
  }

  private scanWord(start: number): Token {
    const end = this.scanWhile(start, isWordChar);
    const lower = this.input.slice(start, end).toLowerCase();
    return KEYWORDS.has(lower)
      ? this.token('keyword', start, end, lower)
      : this.token('identifier', start, end);
  }

  // Two-character operators are matched first so that `<=` is never read as `<` then `=`.
  private scanOperator(start: number, ch: string): Token {
    const two = this.input.slice(start, start + 2);
    if (two === '==') this.fail(start, "'==' is not an operator; use '=' for equality");
    if (two === '<>') this.fail(start, "'<>' is not an operator; use '!=' for inequality");
    if (two === '!=' || two === '<=' || two === '>=') return this.token('operator', start, start + 2);
    if ('=<>+-*/'.includes(ch)) return this.token('operator', start, start + 1);
    if (ch === '!') this.fail(start, "expected '=' after '!'");
    const width = (this.input.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
    return this.fail(start, `unexpected character '${this.input.slice(start, start + width)}'`);
  }

  /** A quoted string or backquoted column name; a doubled quote character stands for itself. */
  private scanQuoted(start: number, quote: string): Token {
    const input = this.input;
    let text = '';
    let chunk = start + 1;
    let i = start + 1;
    while (i < input.length) {
      if (input[i] !== quote) {
        i++;
      } else if (input[i + 1] === quote) {
        text += input.slice(chunk, i + 1);
        i += 2;
        chunk = i;
      } else {
        text += input.slice(chunk, i);
        const kind = quote === '`' ? 'identifier' : 'string';
        if (kind === 'identifier' && text === '') this.fail(start, 'empty column name ``');
        return this.token(kind, start, i + 1, text);
      }
    }
    const what = quote === '`' ? 'column name' : 'string';
    return this.fail(start, `unterminated ${what}; expected a closing ${quote}`);
  }

  /** Scans `digits[.digits][e[+-]digits]` (also `.5`) and refuses glued letters such as `1e` or `2x`. */
  private scanNumber(start: number): Token {
    const input = this.input;
    let i = this.scanWhile(start, isDigit);
    if (input[i] === '.') {
      const fractionEnd = this.scanWhile(i + 1, isDigit);
      if (fractionEnd === i + 1) this.fail(i + 1, `expected a digit after '${input.slice(start, i + 1)}'`);
      i = fractionEnd;
    }
    if (input[i] === 'e' || input[i] === 'E') {
      const sign = input[i + 1] === '+' || input[i + 1] === '-' ? 1 : 0;
      const digitsEnd = this.scanWhile(i + 1 + sign, isDigit);
      if (digitsEnd === i + 1 + sign)
        this.fail(i, `expected exponent digits in '${input.slice(start, i + 1)}'`);
      i = digitsEnd;
    }
    const glued = this.scanWhile(i, (c) => isWordChar(c) || c === '.');
    if (glued > i) this.fail(start, `invalid number '${input.slice(start, glued)}'`);
    const token = this.token('number', start, i);
    if (!Number.isFinite(Number(token.raw))) this.fail(start, `number '${token.raw}' is out of range`);
    return token;
  }
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

function isWordStart(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_';
}

function isWordChar(ch: string): boolean {
  return isWordStart(ch) || isDigit(ch);
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of input';
  const raw = token.raw.length > MAX_PREVIEW ? `${token.raw.slice(0, MAX_PREVIEW)}...` : token.raw;
  return token.kind === 'string' ? raw : `'${raw}'`;
}

// ---------------------------------------------------------------- parser

/** Recursive descent, one function per precedence level (lowest first): or, and, not, comparison, +-, * /, unary. */
class Parser {
  private depth = 0;

  constructor(private readonly scanner: Scanner) {}

  parse(): Expr {
    const first = this.scanner.peek();
    if (first.kind === 'end') this.scanner.fail(first.start, 'expected an expression, found end of input');
    const expr = this.parseOr();
    const rest = this.scanner.peek();
    if (rest.kind !== 'end') {
      this.scanner.fail(
        rest.start,
        `expected an operator, 'and', 'or' or end of input, found ${describe(rest)}`,
      );
    }
    return expr;
  }

  private atKeyword(word: string): boolean {
    const token = this.scanner.peek();
    return token.kind === 'keyword' && token.text === word;
  }

  private nested<T>(position: number, parse: () => T): T {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      this.scanner.fail(position, `expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    }
    const result = parse();
    this.depth--;
    return result;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.atKeyword('or')) {
      this.scanner.next();
      const right = this.parseAnd();
      left = { kind: 'logical', op: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.atKeyword('and')) {
      this.scanner.next();
      const right = this.parseNot();
      left = { kind: 'logical', op: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private parseNot(): Expr {
    if (!this.atKeyword('not')) return this.parseComparison();
    const token = this.scanner.next();
    const operand = this.nested(token.start, () => this.parseNot());
    return { kind: 'not', operand, start: token.start, end: operand.end };
  }

  private parseComparison(): Expr {
    const left = this.parseAdditive();
    const token = this.scanner.peek();
    if (token.kind === 'operator' && COMPARE_OPS.has(token.text)) {
      this.scanner.next();
      const right = this.parseAdditive();
      const op = token.text as CompareOp;
      return { kind: 'compare', op, left, right, opStart: token.start, start: left.start, end: right.end };
    }
    if (this.atKeyword('is')) return this.parseIsNull(left);
    if (this.atKeyword('in')) return this.parseIn(left, false);
    if (this.atKeyword('not')) {
      this.scanner.next();
      if (!this.atKeyword('in')) {
        this.scanner.fail(
          this.scanner.peek().start,
          `expected 'in' after 'not', found ${describe(this.scanner.peek())}`,
        );
      }
      return this.parseIn(left, true);
    }
    return left;
  }

  private parseIsNull(operand: Expr): Expr {
    this.scanner.next();
    const negated = this.atKeyword('not');
    if (negated) this.scanner.next();
    const token = this.scanner.next();
    if (token.kind !== 'keyword' || token.text !== 'null') {
      const expected = negated ? "'null'" : "'null' or 'not null'";
      this.scanner.fail(token.start, `expected ${expected} after 'is', found ${describe(token)}`);
    }
    return { kind: 'isNull', negated, operand, start: operand.start, end: token.end };
  }

  private parseIn(operand: Expr, negated: boolean): Expr {
    this.scanner.next();
    const open = this.scanner.next();
    if (open.text !== '(' || open.kind !== 'punct') {
      this.scanner.fail(open.start, `expected '(' after 'in', found ${describe(open)}`);
    }
    const items = this.nested(open.start, () => this.parseList());
    const close = this.scanner.next();
    return { kind: 'in', negated, operand, items, start: operand.start, end: close.end };
  }

  /** Reads `item (, item)*` and checks (without consuming) that a `)` follows. */
  private parseList(): Expr[] {
    const items: Expr[] = [];
    for (;;) {
      const at = this.scanner.peek();
      if (at.kind === 'punct' && at.text === ')') {
        this.scanner.fail(at.start, `expected a value in the in-list, found ')'`);
      }
      items.push(this.parseAdditive());
      const after = this.scanner.peek();
      if (after.kind === 'punct' && after.text === ')') return items;
      if (after.kind !== 'punct' || after.text !== ',') {
        this.scanner.fail(after.start, `expected ',' or ')' in the in-list, found ${describe(after)}`);
      }
      this.scanner.next();
    }
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.scanner.peek();
      if (token.kind !== 'operator' || (token.text !== '+' && token.text !== '-')) return left;
      this.scanner.next();
      const right = this.parseMultiplicative();
      left = this.arithmetic(token, left, right);
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const token = this.scanner.peek();
      if (token.kind !== 'operator' || (token.text !== '*' && token.text !== '/')) return left;
      this.scanner.next();
      const right = this.parseUnary();
      left = this.arithmetic(token, left, right);
    }
  }

  private arithmetic(token: Token, left: Expr, right: Expr): Expr {
    const op = token.text as ArithmeticOp;
    return { kind: 'arithmetic', op, left, right, opStart: token.start, start: left.start, end: right.end };
  }

  private parseUnary(): Expr {
    const token = this.scanner.peek();
    if (token.kind !== 'operator' || token.text !== '-') return this.parsePrimary();
    this.scanner.next();
    const operand = this.nested(token.start, () => this.parseUnary());
    return { kind: 'negate', operand, start: token.start, end: operand.end };
  }

  private parsePrimary(): Expr {
    const token = this.scanner.next();
    const span = { start: token.start, end: token.end };
    switch (token.kind) {
      case 'number':
        return { kind: 'literal', value: Number(token.text), ...span };
      case 'string':
        return { kind: 'literal', value: token.text, ...span };
      case 'identifier':
        return { kind: 'column', name: token.text, ...span };
      case 'keyword':
        if (token.text === 'null') return { kind: 'literal', value: null, ...span };
        if (token.text === 'true' || token.text === 'false') {
          return { kind: 'literal', value: token.text === 'true', ...span };
        }
        break;
      case 'punct':
        if (token.text === '(') return this.nested(token.start, () => this.parseParenthesized(token));
        break;
      default:
        break;
    }
    return this.scanner.fail(token.start, `expected a value, a column or '(', found ${describe(token)}`);
  }

  private parseParenthesized(open: Token): Expr {
    const inner = this.parseOr();
    const close = this.scanner.next();
    if (close.kind !== 'punct' || close.text !== ')') {
      this.scanner.fail(
        close.start,
        `expected ')' to close '(' at position ${open.start}, found ${describe(close)}`,
      );
    }
    // The span widens to the parentheses so that errors about the group point at its '('.
    return { ...inner, start: open.start, end: close.end };
  }
}

// ---------------------------------------------------------------- static type check

/**
 * Refuses what can never be meaningful whatever the row holds: arithmetic on strings, booleans or
 * null; comparing values of two different known types; `= null` (always null, `is null` was meant);
 * `and`/`or`/`not` over numbers or strings. Columns are `unknown` unless a contract types them.
 */
class TypeChecker {
  constructor(
    private readonly field: string,
    private readonly columnTypes: ColumnTypes,
  ) {}

  typeOf(expr: Expr): StaticType {
    switch (expr.kind) {
      case 'literal':
        return literalType(expr.value);
      case 'column':
        return this.columnTypes.get(expr.name) ?? 'unknown';
      case 'negate':
        this.expect(expr.operand, 'number', "unary '-'");
        return 'number';
      case 'arithmetic':
        this.expect(expr.left, 'number', `'${expr.op}'`);
        this.expect(expr.right, 'number', `'${expr.op}'`);
        return 'number';
      case 'not':
        this.expect(expr.operand, 'boolean', "'not'");
        return 'boolean';
      case 'logical':
        this.expect(expr.left, 'boolean', `'${expr.op}'`);
        this.expect(expr.right, 'boolean', `'${expr.op}'`);
        return 'boolean';
      case 'compare':
        this.comparable(expr.left, expr.right, `'${expr.op}'`);
        return 'boolean';
      case 'in':
        for (const item of expr.items)
          this.comparable(expr.operand, item, expr.negated ? "'not in'" : "'in'");
        return 'boolean';
      case 'isNull':
        this.typeOf(expr.operand);
        return 'boolean';
    }
  }

  private expect(expr: Expr, wanted: 'number' | 'boolean', what: string): void {
    const type = this.typeOf(expr);
    if (type !== wanted && type !== 'unknown') {
      const noun = wanted === 'number' ? 'a number' : 'a condition (true, false or a comparison)';
      throw fail(this.field, expr.start, `expected ${noun} for ${what}, found ${this.found(expr, type)}`);
    }
  }

  private comparable(left: Expr, right: Expr, what: string): void {
    const leftType = this.typeOf(left);
    const rightType = this.typeOf(right);
    for (const side of [left, right]) {
      if (side.kind === 'literal' && side.value === null) {
        throw fail(
          this.field,
          side.start,
          `comparing with null with ${what} is always null; use 'is null' or 'is not null'`,
        );
      }
    }
    if (leftType !== 'unknown' && rightType !== 'unknown' && leftType !== rightType) {
      throw fail(
        this.field,
        right.start,
        `cannot compare ${this.found(left, leftType)} with ${this.found(right, rightType)} using ${what}`,
      );
    }
  }

  private found(expr: Expr, type: StaticType): string {
    if (expr.kind === 'literal') {
      return expr.value === null ? 'null' : `${type} ${JSON.stringify(expr.value)}`;
    }
    if (expr.kind === 'column') return `${type} column '${expr.name}'`;
    return `a ${type} expression`;
  }
}

function literalType(value: Scalar): StaticType {
  if (value === null) return 'null';
  return typeof value as 'number' | 'string' | 'boolean';
}
