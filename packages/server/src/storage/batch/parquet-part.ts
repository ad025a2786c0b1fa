/**
 * Encodes a batch part as a Parquet file in JavaScript, without a database round trip: parts are
 * written once and read once by DuckDB (finalize, the prediction log), so they need only the
 * plainest form the format has. One row group; per column, data pages (v1) of at most
 * `PAGE_ROWS` rows; every column OPTIONAL with its definition levels bit-packed; values PLAIN;
 * no compression, dictionary or statistics. Filling a DuckDB scratch table and COPYing it out
 * cost about 18 ms of CPU per 65,536-row part; this is a few copies of the column memory.
 *
 * Only scalar kinds are encoded here (`canEncodeParquetPart`); list columns go through DuckDB.
 * A value a kind cannot hold is FAILED_PRECONDITION naming the column, as the DuckDB path says.
 */
import { endianness } from 'node:os';
import { SlipwayError } from '@slipway/contracts';
import type { BatchColumnData, BatchColumnKind } from '../../jobs/batch/batch-io.js';

/** Rows per data page: keeps every page's buffers small whatever the part's size. */
const PAGE_ROWS = 65_536;

/** The kinds this encoder writes. */
const SCALAR_KINDS: ReadonlySet<BatchColumnKind> = new Set([
  'boolean',
  'integer',
  'double',
  'string',
  'json',
]);

/** Typed arrays are written in the platform's byte order, which Parquet requires to be little-endian. */
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * True when this encoder can write the part: at least one row (an empty part has no pages to
 * point at), every column of a kind it writes, and a little-endian platform.
 */
export function canEncodeParquetPart(columns: readonly BatchColumnData[], rowCount: number): boolean {
  return LITTLE_ENDIAN && rowCount > 0 && columns.every((c) => SCALAR_KINDS.has(c.kind));
}

/** The Parquet file of `columns` (each with `rowCount` values), as buffers to write in order. */
export function encodeParquetPart(columns: readonly BatchColumnData[], rowCount: number): Buffer[] {
  const chunks: Buffer[] = [MAGIC];
  let offset = MAGIC.length;
  const metas: ColumnMeta[] = [];
  for (const column of columns) {
    const start = offset;
    for (let from = 0; from < rowCount; from += PAGE_ROWS) {
      const to = Math.min(rowCount, from + PAGE_ROWS);
      const body = encodePage(column, from, to);
      const header = pageHeader(to - from, body);
      chunks.push(header, ...body);
      offset += header.length + byteLength(body);
    }
    metas.push({ column, start, size: offset - start });
  }
  const footer = fileMetaData(metas, rowCount);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length);
  chunks.push(footer, length, MAGIC);
  return chunks;
}

const MAGIC = Buffer.from('PAR1', 'latin1');

interface ColumnMeta {
  column: BatchColumnData;
  /** Byte offset of the column's first page header, and the bytes of all its pages. */
  start: number;
  size: number;
}

/** Parquet's physical type numbers. */
const PHYSICAL: Record<string, number> = { boolean: 0, integer: 2, double: 5, string: 6, json: 6 };
/** ConvertedType UTF8 and JSON; LogicalType union fields STRING (1) and JSON (12). */
const CONVERTED: Partial<Record<BatchColumnKind, number>> = { string: 0, json: 19 };
const LOGICAL: Partial<Record<BatchColumnKind, number>> = { string: 1, json: 12 };
const OPTIONAL = 1;
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;

// ------------------------------------------------------------------------------------ page bodies

/** A data page's body: the definition levels (length-prefixed), then the non-null values. */
function encodePage(column: BatchColumnData, from: number, to: number): Buffer[] {
  const { values, kind } = column;
  const rows = to - from;
  const present = new Uint8Array(rows);
  let count = 0;
  for (let i = 0; i < rows; i++) {
    const value = values[from + i];
    const isPresent = kind === 'json' ? value !== undefined : value != null;
    if (isPresent) {
      present[i] = 1;
      count++;
    }
  }
  return [definitionLevels(present), encodeValues(column, from, present, count)];
}

/** Levels 0/1 as one bit-packed run (groups of 8, least significant bit first), length-prefixed. */
function definitionLevels(present: Uint8Array): Buffer {
  const groups = Math.ceil(present.length / 8);
  const header = varint((groups << 1) | 1);
  const out = Buffer.alloc(4 + header.length + groups);
  out.writeUInt32LE(header.length + groups, 0);
  header.copy(out, 4);
  const base = 4 + header.length;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 1) out[base + (i >> 3)] = (out[base + (i >> 3)] as number) | (1 << (i & 7));
  }
  return out;
}

function encodeValues(column: BatchColumnData, from: number, present: Uint8Array, count: number): Buffer {
  switch (column.kind) {
    case 'double':
      return doubles(column, from, present, count);
    case 'integer':
      return integers(column, from, present, count);
    case 'boolean':
      return booleans(column, from, present, count);
    default:
      return byteArrays(column, from, present, count);
  }
}

function doubles(column: BatchColumnData, from: number, present: Uint8Array, count: number): Buffer {
  const { values } = column;
  if (values instanceof Float64Array && count === present.length) {
    return Buffer.from(values.buffer, values.byteOffset + from * 8, count * 8);
  }
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 0) continue;
    const value = values[from + i];
    out[k++] =
      typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : refuse(column, value);
  }
  return Buffer.from(out.buffer);
}

const TWO_32 = 4_294_967_296;

/** INT64 as two 32-bit words per value: a safe integer needs no BigInt. */
function integers(column: BatchColumnData, from: number, present: Uint8Array, count: number): Buffer {
  const { values } = column;
  const words = new Int32Array(count * 2);
  let k = 0;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 0) continue;
    const value = values[from + i];
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      const high = Math.floor(value / TWO_32);
      words[k] = value - high * TWO_32;
      words[k + 1] = high;
    } else {
      const big = toBigInt(value) ?? refuse(column, value);
      const wrapped = BigInt.asUintN(64, big);
      words[k] = Number(wrapped & 0xffffffffn);
      words[k + 1] = Number(wrapped >> 32n);
    }
    k += 2;
  }
  return Buffer.from(words.buffer);
}

/** PLAIN booleans: one bit per non-null value, least significant bit first. */
function booleans(column: BatchColumnData, from: number, present: Uint8Array, count: number): Buffer {
  const out = Buffer.alloc(Math.ceil(count / 8));
  let k = 0;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 0) continue;
    const value = column.values[from + i];
    if (typeof value !== 'boolean') refuse(column, value);
    if (value === true) out[k >> 3] = (out[k >> 3] as number) | (1 << (k & 7));
    k++;
  }
  return out;
}

/** PLAIN byte arrays: a 4-byte length, then the UTF-8 bytes, per non-null value. */
function byteArrays(column: BatchColumnData, from: number, present: Uint8Array, count: number): Buffer {
  const texts = new Array<string>(count);
  let bytes = 0;
  let k = 0;
  for (let i = 0; i < present.length; i++) {
    if (present[i] === 0) continue;
    const text = textOf(column.kind, column.values[from + i]);
    texts[k++] = text;
    bytes += 4 + Buffer.byteLength(text);
  }
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const text of texts) {
    const written = out.write(text, at + 4);
    out.writeUInt32LE(written, at);
    at += 4 + written;
  }
  return out;
}

/** As the DuckDB path stores them: strings as given, other values as String(); JSON as its text. */
function textOf(kind: BatchColumnKind, value: unknown): string {
  if (kind === 'json') return JSON.stringify(value, jsonSafe);
  return typeof value === 'string' ? value : String(value);
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

function refuse(column: BatchColumnData, value: unknown): never {
  const described = Array.isArray(value) ? 'an array' : `${typeof value} ${String(value).slice(0, 40)}`;
  throw new SlipwayError(
    'FAILED_PRECONDITION',
    `Column '${column.name}' holds ${described}, which a ${column.kind} column cannot store`,
    { column: column.name },
  );
}

function byteLength(buffers: readonly Buffer[]): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  return total;
}

// ---------------------------------------------------------------------------- Thrift structures

/** PageHeader of a v1 data page (PLAIN values, RLE levels), uncompressed. */
function pageHeader(rows: number, body: readonly Buffer[]): Buffer {
  const size = byteLength(body);
  const w = new CompactWriter();
  w.i32(1, 0); // DATA_PAGE
  w.i32(2, size);
  w.i32(3, size);
  w.struct(5, () => {
    w.i32(1, rows);
    w.i32(2, ENCODING_PLAIN);
    w.i32(3, ENCODING_RLE);
    w.i32(4, ENCODING_RLE);
  });
  return w.finish();
}

function fileMetaData(metas: readonly ColumnMeta[], rowCount: number): Buffer {
  const w = new CompactWriter();
  w.i32(1, 1);
  w.list(2, metas.length + 1, () => {
    w.element(() => {
      w.binary(4, 'schema');
      w.i32(5, metas.length);
    });
    for (const { column } of metas) w.element(() => schemaElement(w, column));
  });
  w.i64(3, rowCount);
  w.list(4, 1, () =>
    w.element(() => {
      w.list(1, metas.length, () => {
        for (const meta of metas) w.element(() => columnChunk(w, meta, rowCount));
      });
      w.i64(
        2,
        metas.reduce((sum, m) => sum + m.size, 0),
      );
      w.i64(3, rowCount);
    }),
  );
  w.binary(6, 'slipway batch part');
  return w.finish();
}

function schemaElement(w: CompactWriter, column: BatchColumnData): void {
  w.i32(1, PHYSICAL[column.kind] as number);
  w.i32(3, OPTIONAL);
  w.binary(4, column.name);
  const converted = CONVERTED[column.kind];
  if (converted !== undefined) w.i32(6, converted);
  const logical = LOGICAL[column.kind];
  if (logical !== undefined) w.struct(10, () => w.struct(logical, () => undefined));
}

function columnChunk(w: CompactWriter, meta: ColumnMeta, rowCount: number): void {
  w.i64(2, meta.start);
  w.struct(3, () => {
    w.i32(1, PHYSICAL[meta.column.kind] as number);
    w.list(2, 2, () => {
      w.element(() => w.rawI32(ENCODING_PLAIN), TYPE_I32);
      w.element(() => w.rawI32(ENCODING_RLE), TYPE_I32);
    });
    w.list(3, 1, () => w.element(() => w.rawBinary(meta.column.name), TYPE_BINARY));
    w.i32(4, 0); // UNCOMPRESSED
    w.i64(5, rowCount);
    w.i64(6, meta.size);
    w.i64(7, meta.size);
    w.i64(9, meta.start);
  });
}

const TYPE_I32 = 5;
const TYPE_I64 = 6;
const TYPE_BINARY = 8;
const TYPE_LIST = 9;
const TYPE_STRUCT = 12;

/**
 * The subset of Thrift's compact protocol the footer and page headers use: i32/i64 fields,
 * strings, lists and nested structs. A list's element type comes from its first element.
 */
class CompactWriter {
  private readonly bytes: number[] = [];
  private readonly lastField: number[] = [0];
  private readonly listTypes: number[] = [];

  i32(field: number, value: number): void {
    this.header(field, TYPE_I32);
    this.rawI32(value);
  }

  i64(field: number, value: number): void {
    this.header(field, TYPE_I64);
    this.zigzag(value);
  }

  binary(field: number, text: string): void {
    this.header(field, TYPE_BINARY);
    this.rawBinary(text);
  }

  struct(field: number, body: () => void): void {
    this.header(field, TYPE_STRUCT);
    this.structBody(body);
  }

  /** A list field of `size` elements of the given type (STRUCT unless an element says otherwise). */
  list(field: number, size: number, body: () => void, elementType = TYPE_STRUCT): void {
    this.header(field, TYPE_LIST);
    const at = this.bytes.length;
    this.bytes.push(0);
    if (size >= 15) this.push(varint(size));
    this.listTypes.push(elementType);
    body();
    const type = this.listTypes.pop() as number;
    this.bytes[at] = (Math.min(size, 15) << 4) | type;
  }

  /** One list element: a struct, or with `type` a raw value written by `body`. */
  element(body: () => void, type = TYPE_STRUCT): void {
    this.listTypes[this.listTypes.length - 1] = type;
    if (type === TYPE_STRUCT) this.structBody(body);
    else body();
  }

  rawI32(value: number): void {
    this.zigzag(value);
  }

  rawBinary(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.push(varint(bytes.length));
    this.push(bytes);
  }

  finish(): Buffer {
    this.bytes.push(0); // the outer struct's STOP
    return Buffer.from(this.bytes);
  }

  private structBody(body: () => void): void {
    this.lastField.push(0);
    body();
    this.bytes.push(0);
    this.lastField.pop();
  }

  private header(field: number, type: number): void {
    const last = this.lastField[this.lastField.length - 1] as number;
    const delta = field - last;
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(field);
    }
    this.lastField[this.lastField.length - 1] = field;
  }

  /** Zigzag varint of a safe integer (i32 or i64), without BigInt. */
  private zigzag(value: number): void {
    this.push(varint(value >= 0 ? value * 2 : -value * 2 - 1));
  }

  private push(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.bytes.push(bytes[i] as number);
  }
}

/** Unsigned LEB128 of a non-negative safe integer. */
function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}
