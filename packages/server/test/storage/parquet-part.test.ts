/**
 * The JavaScript Parquet encoder of batch parts, read back by DuckDB (the reader finalize and the
 * prediction log use): every scalar kind with nulls, pages split at 65,536 rows, 64-bit integers
 * beyond 2^53 and negatives, UTF-8 text, and the column types DuckDB sees.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { BatchColumnData } from '../../src/jobs/batch/batch-io.js';
import { canEncodeParquetPart, encodeParquetPart } from '../../src/storage/batch/parquet-part.js';

let dir: string;
let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-parquet-part-'));
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterAll(async () => {
  connection.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(name: string, columns: BatchColumnData[], rows: number): Promise<string> {
  const path = join(dir, `${name}.parquet`);
  await writeFile(path, Buffer.concat(encodeParquetPart(columns, rows)));
  return path;
}

async function readJson(sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

describe('the Parquet part encoder', () => {
  it('writes every scalar kind, nulls included, as DuckDB reads them back', async () => {
    const columns: BatchColumnData[] = [
      { name: 'i', kind: 'integer', values: [1, -2, null, '9007199254740993', -9_007_199_254_740_991, 0] },
      { name: 'd', kind: 'double', values: [0.5, null, -1e300, Number.NaN, 2, 7n] },
      { name: 'b', kind: 'boolean', values: [true, false, null, true, true, false] },
      { name: 's', kind: 'string', values: ['a', 'ünïcødé ✓', null, '', 42, 'x'.repeat(300)] },
      { name: 'j', kind: 'json', values: [{ a: [1, 2] }, null, undefined, 'text', 3, { big: 10n }] },
    ];
    const path = await roundTrip('kinds', columns, 6);
    const types = await readJson(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${path}'))`,
    );
    expect(types).toEqual([
      ['i', 'BIGINT'],
      ['d', 'DOUBLE'],
      ['b', 'BOOLEAN'],
      ['s', 'VARCHAR'],
      ['j', 'JSON'],
    ]);
    const rows = await readJson(
      `SELECT i::VARCHAR, d::VARCHAR, b, s, j::VARCHAR FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`,
    );
    expect(rows).toEqual([
      ['1', '0.5', true, 'a', '{"a":[1,2]}'],
      ['-2', null, false, 'ünïcødé ✓', 'null'],
      [null, '-1e+300', null, null, null],
      ['9007199254740993', 'nan', true, '', '"text"'],
      ['-9007199254740991', '2.0', true, '42', '3'],
      ['0', '7.0', false, 'x'.repeat(300), '{"big":"10"}'],
    ]);
  });

  it('splits a column into pages and keeps every row in order', async () => {
    const rows = 150_000;
    const ids = Array.from({ length: rows }, (_, i) => i * 7 - 3);
    const scores = Float64Array.from({ length: rows }, (_, i) => i / 4);
    const flags = ids.map((v) => (v % 5 === 0 ? null : v % 2 === 0));
    const labels = ids.map((v) => (v % 11 === 0 ? null : `row-${v}`));
    const path = await roundTrip(
      'pages',
      [
        { name: 'id', kind: 'integer', values: ids },
        { name: 'score', kind: 'double', values: scores },
        { name: 'flag', kind: 'boolean', values: flags },
        { name: 'label', kind: 'string', values: labels },
      ],
      rows,
    );
    const [summary] =
      await readJson(`SELECT count(*), sum(id)::VARCHAR, sum(score), count(flag), sum(flag::INT),
        count(label), min(label), bool_and(id = file_row_number * 7 - 3)
      FROM read_parquet('${path}', file_row_number = true)`);
    const present = flags.filter((f) => f !== null);
    const presentLabels = labels.filter((l): l is string => l !== null);
    expect(summary).toEqual([
      String(rows),
      String(ids.reduce((a, b) => a + b, 0)),
      (rows * (rows - 1)) / 8,
      String(present.length),
      String(present.filter((f) => f === true).length),
      String(presentLabels.length),
      [...presentLabels].sort()[0],
      true,
    ]);
  });

  it('refuses a value its kind cannot hold, naming the column', () => {
    const refused = (column: BatchColumnData): unknown => {
      try {
        encodeParquetPart([column], column.values.length);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(refused({ name: 'n', kind: 'integer', values: [1, 1.5] })).toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: "Column 'n' holds number 1.5, which a integer column cannot store",
      details: { column: 'n' },
    });
    expect(refused({ name: 'flag', kind: 'boolean', values: ['yes'] })).toMatchObject({
      code: 'FAILED_PRECONDITION',
      details: { column: 'flag' },
    });
    expect(refused({ name: 'x', kind: 'double', values: ['1'] })).toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
  });

  it('leaves list kinds and empty parts to DuckDB', () => {
    const scalar: BatchColumnData = { name: 'a', kind: 'double', values: [1] };
    expect(canEncodeParquetPart([scalar], 1)).toBe(true);
    expect(canEncodeParquetPart([scalar], 0)).toBe(false);
    expect(canEncodeParquetPart([scalar, { name: 'l', kind: 'double[]', values: [[1]] }], 1)).toBe(false);
    expect(canEncodeParquetPart([{ name: 'l', kind: 'integer[]', values: [[1]] }], 1)).toBe(false);
  });
});
