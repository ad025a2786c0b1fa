/**
 * Small pure helpers shared by the serving wire protocols and row validation: plain-object checks,
 * value descriptions for error messages, and safe row building.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow } from '../../runtimes/runtime.js';

/** How decoded rows were laid out on the wire, so refusals can name the caller's own paths. */
export interface RowSource {
  /** The request field holding the rows, e.g. `instances`, `dataframe_split.data`, `inputs`. */
  field: string;
  /**
   * `rows`: value paths read `<field>[i].<column>`; `columns`: the request carried one array per
   * column, and paths read `<field>.<column>[i]`.
   */
  layout: 'rows' | 'columns';
}

/** Rows decoded from a request, with where they came from. */
export interface DecodedRows {
  rows: InputRow[];
  source: RowSource;
}

/** True for a non-null, non-array object (what JSON objects parse to). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A short description of a value for error messages (`string "abc"`, `null`, `an array`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `string ${JSON.stringify(text)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

/** The path of one row value as the caller wrote it (see `RowSource.layout`). */
export function valuePath(source: RowSource, row: number, column: string): string {
  return source.layout === 'columns'
    ? `${source.field}.${column}[${row}]`
    : `${source.field}[${row}].${column}`;
}

/** Sets `key` on a freshly built row without ever touching its prototype (`__proto__` as a column). */
export function setField(row: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    row[key] = value;
  }
}

/** Refuses keys of `body` outside `allowed`, naming `<prefix><key>`. */
export function refuseUnknownKeys(
  body: Record<string, unknown>,
  allowed: readonly string[],
  prefix: string,
  what: string,
): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw invalidArgument(
        `${prefix}${key}`,
        `Unknown field '${prefix}${key}' in ${what}; allowed: ${allowed.join(', ')}`,
      );
    }
  }
}

/**
 * Turns a column-major `{ column: values[] }` object into rows; every column must be an array of
 * the same length. Refusals name `<field>.<column>`.
 */
export function rowsFromColumns(columns: Record<string, unknown>, field: string): InputRow[] {
  const names = Object.keys(columns);
  if (names.length === 0) {
    throw invalidArgument(field, `${field} must hold at least one column`);
  }
  let length = -1;
  let first = '';
  for (const name of names) {
    const values = columns[name];
    if (!Array.isArray(values)) {
      throw invalidArgument(
        `${field}.${name}`,
        `${field}.${name} must be an array of values, got ${describe(values)}`,
      );
    }
    if (length < 0) {
      length = values.length;
      first = name;
    } else if (values.length !== length) {
      throw invalidArgument(
        `${field}.${name}`,
        `${field}.${name} has ${values.length} values but ${field}.${first} has ${length}; every column needs one value per row`,
      );
    }
  }
  const rows: InputRow[] = new Array<InputRow>(length);
  for (let i = 0; i < length; i++) {
    const row: Record<string, unknown> = {};
    for (const name of names) setField(row, name, (columns[name] as unknown[])[i]);
    rows[i] = row;
  }
  return rows;
}
