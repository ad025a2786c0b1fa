import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SlipwayError, type DatasetFormat } from '@slipway/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_MAX_ROWS, DuckDbDatasetReader } from '../../src/storage/datasets/duckdb-dataset-reader.js';

const BIKE_DAY_CSV = '/work/shared/data/bike_sharing/day.csv';
const HAVE_BIKE_DAY = existsSync(BIKE_DAY_CSV);

let dir: string;
const reader = new DuckDbDatasetReader();

/** The SlipwayError `run` rejects with; fails the test when it resolves or rejects with anything else. */
async function refusal(run: () => Promise<unknown>): Promise<SlipwayError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a SlipwayError');
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Runs `sql` in a scratch DuckDB, to write Parquet fixtures with the engine that reads them. */
async function duckdb(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-dataset-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDbDatasetReader: CSV', () => {
  it('reads values with inferred types and nullability', async () => {
    const path = await file(
      'basic.csv',
      'id,score,name,flag,day\n1,0.5,alice,true,2024-01-02\n2,,bob,false,2024-02-29\n3,1.25,,true,\n',
    );
    const { columns, rows } = await reader.read(path, 'csv', 'dataset.uri');
    expect(columns).toEqual([
      { name: 'id', type: 'int64', nullable: false },
      { name: 'score', type: 'float64', nullable: true },
      { name: 'name', type: 'string', nullable: true },
      { name: 'flag', type: 'boolean', nullable: false },
      { name: 'day', type: 'datetime', nullable: true },
    ]);
    expect(rows).toEqual([
      { id: 1, score: 0.5, name: 'alice', flag: true, day: '2024-01-02' },
      { id: 2, score: null, name: 'bob', flag: false, day: '2024-02-29' },
      { id: 3, score: 1.25, name: null, flag: true, day: null },
    ]);
    expect(typeof rows[0]?.id).toBe('number');
  });

  it('turns timestamps into ISO 8601 strings', async () => {
    const path = await file('ts.csv', 'at,v\n2024-03-01 12:34:56.789,1\n1999-12-31 23:59:59,2\n');
    const { columns, rows } = await reader.read(path, 'csv', 'dataset');
    expect(columns[0]).toEqual({ name: 'at', type: 'datetime', nullable: false });
    expect(rows.map((r) => r.at)).toEqual(['2024-03-01T12:34:56.789Z', '1999-12-31T23:59:59.000Z']);
  });

  it('passes a path containing a quote as data, not SQL', async () => {
    const path = await file("it's a file'); SELECT 1; --.csv", 'a\n7\n');
    const { rows } = await reader.read(path, 'csv', 'dataset');
    expect(rows).toEqual([{ a: 7 }]);
  });

  it('refuses bigints outside the safe integer range, naming the column', async () => {
    const path = await file('big.csv', 'n\n9007199254740991\n9007199254740993\n');
    const error = await refusal(() => reader.read(path, 'csv', 'dataset'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('dataset');
    expect(error.message).toContain("'big.csv' column 'n' row 1");
    expect(error.message).toContain('MAX_SAFE_INTEGER');
  });

  it('refuses a missing file', async () => {
    const error = await refusal(() => reader.read(join(dir, 'nope.csv'), 'csv', 'dataset.uri'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('dataset.uri');
    expect(error.message).toBe("Dataset 'nope.csv' does not exist");
  });

  it('refuses an empty file', async () => {
    const path = await file('empty.csv', '');
    const error = await refusal(() => reader.read(path, 'csv', 'dataset.uri'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'dataset.uri' } });
    expect(error.message).toBe("Dataset 'empty.csv' is empty");
  });

  it('refuses a header without rows', async () => {
    const path = await file('header.csv', 'a,b\n');
    const error = await refusal(() => reader.read(path, 'csv', 'dataset'));
    expect(error.message).toBe("Dataset 'header.csv' has no rows");
  });

  it('refuses a ragged CSV with DuckDB’s reason', async () => {
    const path = await file('ragged.csv', 'a,b\n1,2\n3,4,5,6\n"x,7\n');
    const error = await refusal(() => reader.read(path, 'csv', 'dataset'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'dataset' } });
    expect(error.message).toMatch(/^Dataset 'ragged\.csv' is (not readable as csv|malformed): .+/);
  });

  it('refuses an unknown format', async () => {
    const path = await file('x.csv', 'a\n1\n');
    const error = await refusal(() => reader.read(path, 'xlsx' as DatasetFormat, 'format'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'format' } });
  });

  it('refuses a directory', async () => {
    const error = await refusal(() => reader.read(dir, 'csv', 'dataset'));
    expect(error.message).toContain('is not a regular file');
  });

  it('refuses more rows than the cap', async () => {
    expect(DATASET_MAX_ROWS).toBe(5_000_000);
    const path = await file('many.csv', 'a\n1\n2\n3\n');
    const small = new DuckDbDatasetReader({ maxRows: 2 });
    const error = await refusal(() => small.read(path, 'csv', 'dataset'));
    expect(error.message).toBe("Dataset 'many.csv' has more than 2 rows; sample or split it first");
    await expect(new DuckDbDatasetReader({ maxRows: 3 }).read(path, 'csv', 'd')).resolves.toMatchObject({
      rows: [{ a: 1 }, { a: 2 }, { a: 3 }],
    });
  });
});

describe('DuckDbDatasetReader: JSONL', () => {
  it('reads newline-delimited objects, missing keys as null', async () => {
    const path = await file('rows.jsonl', '{"a":1,"b":"x","c":true}\n{"a":2,"c":false}\n{"a":3,"b":"z"}\n');
    const { columns, rows } = await reader.read(path, 'jsonl', 'dataset');
    expect(columns).toEqual([
      { name: 'a', type: 'int64', nullable: false },
      { name: 'b', type: 'string', nullable: true },
      { name: 'c', type: 'boolean', nullable: true },
    ]);
    expect(rows).toEqual([
      { a: 1, b: 'x', c: true },
      { a: 2, b: null, c: false },
      { a: 3, b: 'z', c: null },
    ]);
  });

  it('refuses list and struct columns, naming the column', async () => {
    const path = await file('nested.jsonl', '{"a":1,"tags":[1,2]}\n');
    const error = await refusal(() => reader.read(path, 'jsonl', 'dataset'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'dataset', column: 'tags' } });
    expect(error.message).toContain("'nested.jsonl' column 'tags' has type BIGINT[]");
  });

  it('refuses malformed JSON with the reason', async () => {
    const path = await file('bad.jsonl', '{"a":1}\n{"a":\n');
    const error = await refusal(() => reader.read(path, 'jsonl', 'dataset'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/'bad\.jsonl' is (not readable as jsonl|malformed): .*Malformed JSON/);
  });
});

describe('DuckDbDatasetReader: Parquet', () => {
  it('maps DuckDB types to field types and converts values', async () => {
    const path = join(dir, 'typed.parquet');
    await duckdb(
      `COPY (SELECT * FROM (VALUES
         (1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 1.5::FLOAT, 2.25::DOUBLE, 12.34::DECIMAL(10,2),
          'x', true, DATE '2020-01-31', TIMESTAMP '2020-01-31 08:00:00', 12345678901234::HUGEINT),
         (NULL, 5, 6, -9007199254740991, NULL, 3.5, NULL, NULL, false, NULL, NULL, NULL)
       ) t(i8, i16, i32, i64, f32, f64, dec, s, b, d, ts, h)) TO '${path}' (FORMAT parquet)`,
    );
    const { columns, rows } = await reader.read(path, 'parquet', 'dataset');
    expect(columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['i8', 'int8', true],
      ['i16', 'int16', false],
      ['i32', 'int32', false],
      ['i64', 'int64', false],
      ['f32', 'float32', true],
      ['f64', 'float64', false],
      ['dec', 'float64', true],
      ['s', 'string', true],
      ['b', 'boolean', false],
      ['d', 'datetime', true],
      ['ts', 'datetime', true],
      // Parquet has no 128-bit integers; DuckDB writes HUGEINT as a double.
      ['h', 'float64', true],
    ]);
    expect(rows[0]).toEqual({
      i8: 1,
      i16: 2,
      i32: 3,
      i64: 4,
      f32: 1.5,
      f64: 2.25,
      dec: 12.34,
      s: 'x',
      b: true,
      d: '2020-01-31',
      ts: '2020-01-31T08:00:00.000Z',
      h: 12345678901234,
    });
    expect(rows[1]).toMatchObject({ i8: null, i64: -9007199254740991, dec: null, d: null });
  });

  it('refuses a file that is not Parquet', async () => {
    const path = await file('fake.parquet', 'a,b\n'.repeat(100));
    const error = await refusal(() => reader.read(path, 'parquet', 'dataset'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'dataset' } });
    expect(error.message).toMatch(/^Dataset 'fake\.parquet' is not readable as parquet: .*magic bytes/);
  });
});

describe('DuckDbDatasetReader: real data', () => {
  it.skipIf(!HAVE_BIKE_DAY)(
    HAVE_BIKE_DAY
      ? 'reads bike_sharing/day.csv (CRLF, dates, mixed types)'
      : `reads bike_sharing/day.csv: SKIPPED, ${BIKE_DAY_CSV} is missing (see ../shared/data/README.md)`,
    async () => {
      const { columns, rows } = await reader.read(BIKE_DAY_CSV, 'csv', 'dataset');
      expect(rows).toHaveLength(731);
      expect(columns).toHaveLength(16);
      expect(columns.find((c) => c.name === 'dteday')).toEqual({
        name: 'dteday',
        type: 'datetime',
        nullable: false,
      });
      expect(columns.find((c) => c.name === 'temp')?.type).toBe('float64');
      expect(rows[0]).toMatchObject({ instant: 1, dteday: '2011-01-01', cnt: 985 });
      expect(rows[730]).toMatchObject({ dteday: '2012-12-31' });
    },
  );
});
