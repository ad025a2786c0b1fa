/**
 * Single-pass scanner for the MLflow search grammar. It walks the input once, character by
 * character, with no regular expressions over the whole string, so its cost is linear in the
 * input whatever a caller sends.
 */
import { invalidArgument } from '@slipway/contracts';

/** Kinds of token the scanner produces outside key position. */
export type TokenKind = 'word' | 'number' | 'string' | 'operator' | 'punct' | 'unknown' | 'end';

/** Quote characters: `'` and `"` quote values, `` ` `` and `"` quote keys. */
export type QuoteChar = "'" | '"' | '`';

/** One lexical token with its source span (zero-based, end exclusive). */
export interface Token {
  kind: TokenKind;
  /** Source text exactly as written, quotes included. */
  raw: string;
  /** Unescaped content for strings; same as `raw` otherwise. */
  text: string;
  /** Set for `string` tokens. */
  quote?: QuoteChar;
  start: number;
  end: number;
}

/** One dot-separated part of a key such as `tags.mlflow.runName` or ``metrics.`my metric` ``. */
export interface KeySegment {
  text: string;
  quoted: boolean;
  start: number;
  end: number;
}

/** A key as written on the left of a comparison or in order_by. */
export interface KeyPath {
  segments: KeySegment[];
  start: number;
  end: number;
}

const MAX_QUOTED_PREVIEW = 30;

/** Cursor over one filter or order_by string; reports errors against `field`. */
export class SearchScanner {
  /** Offset of the next unread character. */
  private pos = 0;
  private peeked: Token | undefined;

  constructor(
    readonly input: string,
    readonly field: string,
  ) {}

  /** Throws INVALID_ARGUMENT for `field` with the offending position in message and details. */
  fail(position: number, detail: string): never {
    throw invalidArgument(this.field, `Invalid ${this.field} at position ${position}: ${detail}`, {
      position,
    });
  }

  /** Quotes a token for an error message: quoted strings as written, end of input in words. */
  describe(token: Token): string {
    if (token.kind === 'end') return 'end of input';
    const raw =
      token.raw.length > MAX_QUOTED_PREVIEW ? `${token.raw.slice(0, MAX_QUOTED_PREVIEW)}...` : token.raw;
    return token.kind === 'string' ? raw : `'${raw}'`;
  }

  /** The next token, without consuming it. */
  peek(): Token {
    this.peeked ??= this.scanToken();
    return this.peeked;
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    this.pos = token.end;
    return token;
  }

  /** True when the next token is `word` spelled `keyword` in any letter case. */
  atKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toUpperCase() === keyword;
  }

  /**
   * Reads a key: segments (bare words or `` ` ``/`"` quoted) joined by dots with no spaces.
   * Returns undefined, consuming nothing, when the next character cannot start a key.
   */
  readKeyPath(): KeyPath | undefined {
    this.peeked = undefined;
    this.skipSpace();
    const start = this.pos;
    // The first segment must not start with a digit so that `1 > metrics.a` reads as a number.
    if (!this.atKeySegmentStart(true)) return undefined;
    const segments: KeySegment[] = [];
    for (;;) {
      segments.push(this.readKeySegment());
      if (this.input[this.pos] !== '.') break;
      this.pos++;
      if (!this.atKeySegmentStart(false)) {
        const ch = this.input[this.pos];
        const found =
          ch !== undefined && isSpace(ch) ? 'whitespace' : this.describe(this.scanTokenAt(this.pos));
        this.fail(
          this.pos,
          `empty key after '${this.input.slice(start, this.pos)}'; expected a key name, found ${found}`,
        );
      }
    }
    return { segments, start, end: this.pos };
  }

  /** End of the run of characters from `from` up to whitespace or a comparator, quote or bracket. */
  gluedEnd(from: number): number {
    return this.scanWhile(from, (ch) => !isSpace(ch) && !isOperatorChar(ch) && !'\'"`(),'.includes(ch));
  }

  private atKeySegmentStart(first: boolean): boolean {
    const ch = this.input[this.pos];
    if (ch === undefined) return false;
    if (ch === '`' || ch === '"') return true;
    return first ? isWordStart(ch) : isWordChar(ch);
  }

  private readKeySegment(): KeySegment {
    const start = this.pos;
    const ch = this.input[start] as string;
    if (ch === '`' || ch === '"') {
      const token = this.scanString(start, ch);
      this.pos = token.end;
      return { text: token.text, quoted: true, start, end: token.end };
    }
    this.pos = this.scanWhile(start, isWordChar);
    return { text: this.input.slice(start, this.pos), quoted: false, start, end: this.pos };
  }

  private skipSpace(): void {
    this.pos = this.scanWhile(this.pos, isSpace);
  }

  private scanToken(): Token {
    this.skipSpace();
    return this.scanTokenAt(this.pos);
  }

  /** Scans one token at `start` (no leading space) without moving the cursor. */
  private scanTokenAt(start: number): Token {
    const input = this.input;
    const ch = input[start];
    if (ch === undefined) return this.token('end', start, start);
    if (ch === "'" || ch === '"' || ch === '`') return this.scanString(start, ch);
    if (startsNumber(input, start)) return this.scanNumber(start);
    if (isWordStart(ch)) return this.token('word', start, this.scanWhile(start, isWordChar));
    if (isOperatorChar(ch)) return this.token('operator', start, this.scanWhile(start, isOperatorChar));
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') return this.token('punct', start, start + 1);
    const width = (input.codePointAt(start) ?? 0) > 0xffff ? 2 : 1;
    return this.token('unknown', start, start + width);
  }

  private token(kind: TokenKind, start: number, end: number): Token {
    const raw = this.input.slice(start, end);
    return { kind, raw, text: raw, start, end };
  }

  private scanWhile(from: number, accept: (ch: string) => boolean): number {
    let i = from;
    while (i < this.input.length && accept(this.input[i] as string)) i++;
    return i;
  }

  /**
   * Scans a quoted string. Inside it, a doubled quote (`'it''s'`) or a backslash before the quote
   * or before another backslash stands for that character; any other backslash is literal so that
   * LIKE patterns and Windows paths pass through unchanged.
   */
  private scanString(start: number, quote: QuoteChar): Token {
    const input = this.input;
    let text = '';
    let chunkStart = start + 1;
    let i = start + 1;
    while (i < input.length) {
      const ch = input[i];
      const after = input[i + 1];
      if (ch === '\\' && (after === quote || after === '\\')) {
        text += input.slice(chunkStart, i) + after;
        i += 2;
        chunkStart = i;
      } else if (ch === quote && after === quote) {
        text += input.slice(chunkStart, i) + quote;
        i += 2;
        chunkStart = i;
      } else if (ch === quote) {
        text += input.slice(chunkStart, i);
        return { kind: 'string', raw: input.slice(start, i + 1), text, quote, start, end: i + 1 };
      } else {
        i++;
      }
    }
    const preview = input.slice(start, start + MAX_QUOTED_PREVIEW);
    return this.fail(start, `unterminated quoted text ${preview}; expected a closing ${quote}`);
  }

  /** Scans `-?digits[.digits][e[+-]digits]` (also `.5`, `5.`) and rejects glued letters like `1e`. */
  private scanNumber(start: number): Token {
    const input = this.input;
    let i = input[start] === '-' ? start + 1 : start;
    i = this.scanWhile(i, isDigit);
    if (input[i] === '.') i = this.scanWhile(i + 1, isDigit);
    if (input[i] === 'e' || input[i] === 'E') {
      const sign = input[i + 1] === '+' || input[i + 1] === '-' ? 1 : 0;
      const digitsEnd = this.scanWhile(i + 1 + sign, isDigit);
      if (digitsEnd > i + 1 + sign) i = digitsEnd;
    }
    const glued = this.scanWhile(i, (ch) => isWordChar(ch) || ch === '.');
    if (glued > i) this.fail(start, `invalid number '${input.slice(start, glued)}'`);
    const token = this.token('number', start, i);
    if (!Number.isFinite(Number(token.raw))) this.fail(start, `number '${token.raw}' is out of range`);
    return token;
  }
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

function isAsciiLetter(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

// Unicode letters are allowed in bare keys, as MLflow's tokenizer allows them; checked per
// character so there is nothing to backtrack.
const UNICODE_LETTER = /^\p{L}$/u;
const UNICODE_WORD = /^[\p{L}\p{N}\p{M}]$/u;

function isWordStart(ch: string): boolean {
  return isAsciiLetter(ch) || ch === '_' || (ch > '\x7f' && UNICODE_LETTER.test(ch));
}

function isWordChar(ch: string): boolean {
  return isAsciiLetter(ch) || isDigit(ch) || ch === '_' || (ch > '\x7f' && UNICODE_WORD.test(ch));
}

function isOperatorChar(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '<' || ch === '>' || ch === '~';
}

function startsNumber(input: string, at: number): boolean {
  const i = input[at] === '-' ? at + 1 : at;
  const ch = input[i] ?? '';
  return isDigit(ch) || (ch === '.' && isDigit(input[i + 1] ?? ''));
}
