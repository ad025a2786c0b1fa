import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import type { ContractField, ModelContract } from '@slipway/contracts';
import {
  duckDbTypeForField,
  loadSqlBaseline,
  openSqlRunner,
  validateSqlBaselineQuery,
} from '../../../src/runtimes/baseline/sql-baseline.js';
import type { LoadedModel } from '../../../src/runtimes/runtime.js';

const open: LoadedModel[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

async function load(...args: Parameters<typeof loadSqlBaseline>): Promise<LoadedModel> {
  const model = await loadSqlBaseline(...args);
  open.push(model);
  return model;
}

async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

function contractOf(fields: ContractField[]): ModelContract {
  return {
    inputs: { kind: 'columns', fields },
    outputs: { kind: 'columns', fields: [{ name: 'prediction', type: 'float64', nullable: true }] },
    source: 'declared',
  };
}

const SLOW = 'SELECT row_id, (SELECT count(*) FROM range(100000000) a, range(100000000) b) AS n FROM input';

describe('loadSqlBaseline: predictions', () => {
  it('runs a CASE WHEN rule, returning the lone column as `prediction`', async () => {
    const model = await load({
      query: "SELECT row_id, CASE WHEN amount > 100 THEN 'review' ELSE 'ok' END FROM input",
    });
    const out = await model.predict([{ amount: 50 }, { amount: 500 }, { amount: 100 }]);
    expect(out).toEqual([{ prediction: 'ok' }, { prediction: 'review' }, { prediction: 'ok' }]);
  });

  it('names the lone column by `output` when given', async () => {
    const model = await load({ query: 'SELECT row_id, x * 2 AS doubled FROM input', output: 'score' });
    expect(await model.predict([{ x: 1.5 }])).toEqual([{ score: 3 }]);
  });

  it('sees the whole batch: a window aggregate predicts the batch mean', async () => {
    const model = await load({ query: 'SELECT row_id, avg(x) OVER () AS mean FROM input' });
    expect(await model.predict([{ x: 1 }, { x: 2 }, { x: 6 }])).toEqual([
      { prediction: 3 },
      { prediction: 3 },
      { prediction: 3 },
    ]);
  });

  it('accepts WITH ... SELECT and restores input order from row_id', async () => {
    const model = await load({
      query: 'WITH s AS (SELECT row_id, x + 1 AS y FROM input) SELECT row_id, y FROM s ORDER BY row_id DESC',
    });
    expect(await model.predict([{ x: 10 }, { x: 20 }, { x: 30 }])).toEqual([
      { prediction: 11 },
      { prediction: 21 },
      { prediction: 31 },
    ]);
  });

  it('keeps SQL names when the query returns several prediction columns', async () => {
    const model = await load({ query: 'SELECT row_id, x > 0 AS label, abs(x) AS magnitude FROM input' });
    expect(await model.predict([{ x: -2 }, { x: 3 }])).toEqual([
      { label: false, magnitude: 2 },
      { label: true, magnitude: 3 },
    ]);
  });

  it('loads contract-typed columns, so integer arithmetic stays integral', async () => {
    const contract = contractOf([
      { name: 'count', type: 'int32', nullable: false },
      { name: 'flag', type: 'boolean', nullable: false },
      { name: 'ratio', type: 'float32', nullable: true },
      { name: 'when', type: 'datetime', nullable: true },
    ]);
    const model = await load(
      {
        query:
          'SELECT row_id, count // 2 AS half, typeof(count) AS t, NOT flag AS nflag, year("when") AS y, ratio FROM input',
      },
      contract,
    );
    const out = await model.predict([{ count: 7, flag: true, ratio: 0.5, when: '2024-05-06T07:08:09Z' }]);
    expect(out).toEqual([{ half: 3, t: 'INTEGER', nflag: false, y: 2024, ratio: 0.5 }]);
    expect(model.contract).toBe(contract);
  });

  it('infers DOUBLE for numbers, VARCHAR and BOOLEAN, typed by the first non-null value', async () => {
    const model = await load({ query: 'SELECT row_id, typeof(a) || typeof(b) || typeof(c) AS t FROM input' });
    const out = await model.predict([
      { a: null, b: 's', c: true },
      { a: 3, b: null, c: false },
    ]);
    expect(out).toEqual([{ prediction: 'DOUBLEVARCHARBOOLEAN' }, { prediction: 'DOUBLEVARCHARBOOLEAN' }]);
  });

  it('passes nulls and missing keys through as SQL NULL', async () => {
    const model = await load({
      query: 'SELECT row_id, coalesce(x, -1) AS y, x IS NULL AS missing FROM input',
    });
    expect(await model.predict([{ x: 4 }, { x: null }, {}])).toEqual([
      { y: 4, missing: false },
      { y: -1, missing: true },
      { y: -1, missing: true },
    ]);
  });

  it('treats strings with quotes and SQL as data: values never enter SQL text', async () => {
    const model = await load({ query: 'SELECT row_id, length(s) AS n, s FROM input' });
    const hostile = "x'); DROP TABLE input; --";
    const out = await model.predict([{ s: hostile }, { s: 'a "b" \'c\'' }]);
    expect(out).toEqual([
      { n: hostile.length, s: hostile },
      { n: 9, s: 'a "b" \'c\'' },
    ]);
    expect(await model.predict([{ s: 'still here' }])).toEqual([{ n: 10, s: 'still here' }]);
  });

  it('serializes concurrent batches on one model', async () => {
    const model = await load({ query: 'SELECT row_id, sum(x) OVER () AS total FROM input' });
    const batches = [[{ x: 1 }, { x: 2 }], [{ x: 10 }], [{ x: 100 }, { x: 200 }, { x: 300 }]];
    const results = await Promise.all(batches.map((b) => model.predict(b)));
    expect(results.map((r) => r[0])).toEqual([{ prediction: 3 }, { prediction: 10 }, { prediction: 600 }]);
  });

  it('returns [] for an empty batch', async () => {
    const model = await load({ query: 'SELECT row_id, 1 AS one FROM input' });
    expect(await model.predict([])).toEqual([]);
  });
});

describe('validateSqlBaselineQuery: refusals', () => {
  const refused: [string, string][] = [
    ['INSERT', 'INSERT INTO input VALUES (1)'],
    ['COPY', "COPY input TO '/tmp/out.csv'"],
    ['ATTACH', "ATTACH '/tmp/other.db'"],
    ['PRAGMA', 'PRAGMA version'],
    ['SET', 'SET threads = 4'],
    ['CREATE', 'CREATE TABLE t AS SELECT 1'],
    ['multiple statements', 'SELECT row_id, 1 FROM input; SELECT row_id, 2 FROM input'],
    ['read_csv', "SELECT row_id, a FROM read_csv('/etc/hosts')"],
    ['a file path as a table', "SELECT * FROM '/etc/hosts'"],
    ['query()', "SELECT * FROM query('SELECT 1')"],
    ['catalog functions', 'SELECT * FROM duckdb_settings()'],
    ['DESCRIBE', 'DESCRIBE input'],
    ['another table', 'SELECT * FROM secrets'],
    ['a qualified table', 'SELECT * FROM other.main.input'],
    ['a parse error', 'SELEC row_id FROM input'],
    ['an empty query', '   '],
  ];

  it.each(refused)('refuses %s with INVALID_ARGUMENT naming the field', async (_kind, query) => {
    const error = await refusal(validateSqlBaselineQuery(query, 'baseline.query'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('baseline.query');
  });

  it('accepts generator table functions and CTE names', async () => {
    await validateSqlBaselineQuery(
      'WITH t AS (SELECT range AS r FROM range(3)) SELECT i.row_id, count(*) FROM input i, t GROUP BY i.row_id',
      'q',
    );
  });

  it('loadSqlBaseline refuses the same way, naming `query`', async () => {
    const error = await refusal(loadSqlBaseline({ query: 'DELETE FROM input' }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'query' } });
  });

  it('with a contract, refuses at load a query that does not bind or lacks row_id', async () => {
    const contract = contractOf([{ name: 'x', type: 'float64', nullable: false }]);
    const unbound = await refusal(loadSqlBaseline({ query: 'SELECT row_id, nope FROM input' }, contract));
    expect(unbound).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'query' } });
    const noRowId = await refusal(loadSqlBaseline({ query: 'SELECT x FROM input' }, contract));
    expect(noRowId.message).toMatch(/row_id/);
  });

  it('refuses a contract input named row_id, and a bad timeout', async () => {
    const contract = contractOf([{ name: 'ROW_ID', type: 'int64', nullable: false }]);
    const reserved = await refusal(loadSqlBaseline({ query: 'SELECT row_id, 1 FROM input' }, contract));
    expect(reserved).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'contract.inputs.ROW_ID' },
    });
    const timeout = await refusal(loadSqlBaseline({ query: 'SELECT row_id, 1 FROM input', timeoutMs: 0 }));
    expect(timeout).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'timeoutMs' } });
  });
});

describe('engine lockdown (statement check bypassed)', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('cannot read a real file even when the parser-level check is skipped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sql-baseline-'));
    const file = join(dir, 'secret.csv');
    await writeFile(file, 'row_id,prediction\n0,42\n');
    const runner = await openSqlRunner(`SELECT row_id, prediction FROM read_csv('${file}')`);
    open.push(runner);
    const error = await refusal(runner.predict([{ x: 1 }]));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.message).toMatch(/disabled by configuration/);
  });

  it('runs on one thread', async () => {
    const runner = await openSqlRunner("SELECT row_id, current_setting('threads') AS t FROM input");
    open.push(runner);
    expect(await runner.predict([{ x: 1 }])).toEqual([{ prediction: 1 }]);
  });
});

describe('row_id errors', () => {
  it.each([
    ['missing row_id column', 'SELECT x FROM input', /must return a row_id/],
    ['a missing row', 'SELECT row_id, x FROM input WHERE row_id > 0', /no row for row_id 0/],
    [
      'a duplicated row',
      'SELECT row_id, x FROM input UNION ALL SELECT row_id, x FROM input',
      /more than once/,
    ],
    ['an out-of-range row_id', 'SELECT row_id + 5 AS row_id, x FROM input', /returned row_id 5/],
    ['a null row_id', 'SELECT NULL AS row_id, x FROM input', /returned row_id null/],
    ['no prediction column', 'SELECT row_id FROM input', /no prediction column/],
  ])('reports %s as FAILED_PRECONDITION on `query`', async (_kind, query, message) => {
    const model = await load({ query });
    const error = await refusal(model.predict([{ x: 1 }, { x: 2 }]));
    expect(error).toMatchObject({ code: 'FAILED_PRECONDITION', details: { field: 'query' } });
    expect(error.message).toMatch(message);
  });
});

describe('input errors', () => {
  it('names the offending field when a value does not fit its column', async () => {
    const model = await load({ query: 'SELECT row_id, x FROM input' });
    const error = await refusal(model.predict([{ x: 1 }, { x: 'two' }]));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'rows[1].x' } });
  });

  it('reports contract integer overflow against the field', async () => {
    const contract = contractOf([{ name: 'small', type: 'int8', nullable: false }]);
    const model = await load({ query: 'SELECT row_id, small FROM input' }, contract);
    const error = await refusal(model.predict([{ small: 300 }]));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'rows[0].small' } });
    expect(await model.predict([{ small: 3 }])).toEqual([{ prediction: 3 }]);
  });

  it('refuses a batch entry that is not an object', async () => {
    const model = await load({ query: 'SELECT row_id, 1 AS one FROM input' });
    const error = await refusal(model.predict([{ x: 1 }, null as unknown as Record<string, unknown>]));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'rows[1]' } });
  });

  it('refuses an input column named row_id', async () => {
    const model = await load({ query: 'SELECT row_id, 1 AS one FROM input' });
    const error = await refusal(model.predict([{ row_id: 9 }]));
    expect(error.code).toBe('INVALID_ARGUMENT');
  });
});

describe('timeout and close', () => {
  it('interrupts a slow query and rejects with UNAVAILABLE naming the timeout', async () => {
    const model = await load({ query: SLOW, timeoutMs: 100 });
    const error = await refusal(model.predict([{ x: 1 }]));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { field: 'timeoutMs', timeoutMs: 100 } });
    expect(error.message).toMatch(/100 ms timeout/);
  });

  it('stays usable after an interrupted batch', async () => {
    const query =
      'SELECT i.row_id, (SELECT count(*) FROM range(i.n::BIGINT) a, range(i.n::BIGINT) b) AS c FROM input i';
    const model = await load({ query, timeoutMs: 100 });
    expect((await refusal(model.predict([{ n: 100_000_000 }]))).code).toBe('UNAVAILABLE');
    expect(await model.predict([{ n: 3 }])).toEqual([{ prediction: 9 }]);
  });

  it('close releases the instance; later predicts are refused', async () => {
    const model = await loadSqlBaseline({ query: 'SELECT row_id, 1 AS one FROM input' });
    await model.predict([{ x: 1 }]);
    await model.close();
    await model.close();
    expect((await refusal(model.predict([{ x: 1 }]))).code).toBe('FAILED_PRECONDITION');
  });
});

describe('duckDbTypeForField', () => {
  it('maps contract field types onto DuckDB column types', () => {
    expect(duckDbTypeForField('int64')).toBe('BIGINT');
    expect(duckDbTypeForField('uint8')).toBe('UTINYINT');
    expect(duckDbTypeForField('float16')).toBe('FLOAT');
    expect(duckDbTypeForField('datetime')).toBe('TIMESTAMP');
    expect(duckDbTypeForField('object')).toBe('VARCHAR');
  });
});
