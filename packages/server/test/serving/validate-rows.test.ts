import { describe, expect, it } from 'vitest';
import { SlipwayError, type ContractField, type ModelContract } from '@slipway/contracts';
import { compileRowValidator, validateRows } from '../../src/serving/validate-rows.js';

function columns(fields: Partial<ContractField>[]): ModelContract {
  return {
    inputs: {
      kind: 'columns',
      fields: fields.map((f) => ({ name: 'x', type: 'float64', nullable: false, ...f }) as ContractField),
    },
    outputs: { kind: 'columns', fields: [] },
    source: 'declared',
  };
}

function tensors(fields: Partial<ContractField>[]): ModelContract {
  const contract = columns(fields);
  return { ...contract, inputs: { ...contract.inputs, kind: 'tensors' } };
}

function refusal(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return error as SlipwayError;
  }
  throw new Error('expected a refusal');
}

const credit = columns([
  { name: 'amount', type: 'float32', range: { min: 0, max: 10_000 } },
  { name: 'age', type: 'int8' },
  { name: 'count', type: 'uint16', nullable: true },
  { name: 'country', type: 'string', categories: ['FR', 'DE'] },
  { name: 'vip', type: 'boolean' },
  { name: 'big', type: 'int64', nullable: true },
]);

const good = { amount: 12.5, age: 30, country: 'FR', vip: false };

describe('validateRows', () => {
  it('accepts valid rows with no warnings, ignoring extra columns', () => {
    expect(
      validateRows([good, { ...good, count: 3, big: '9223372036854775807', extra: 'x' }], credit),
    ).toEqual({
      warnings: [],
    });
  });

  it('refuses more rows than maxRows, naming the collection and the limit', () => {
    const error = refusal(() => validateRows([good, good, good], undefined, { maxRows: 2 }));
    expect(error.details.field).toBe('instances');
    expect(error.message).toContain('at most 2');
  });

  it('defaults maxRows to 1000 and checks nothing else without a contract', () => {
    expect(validateRows([{ anything: [1, 'a'] }], undefined)).toEqual({ warnings: [] });
    const rows = Array.from({ length: 1001 }, () => ({}));
    expect(refusal(() => validateRows(rows, undefined)).message).toContain('1000');
  });

  it('refuses non-object rows', () => {
    expect(refusal(() => validateRows([good, 5 as never], credit)).details.field).toBe('instances[1]');
  });

  it.each([
    [{ ...good, amount: undefined }, 'instances[0].amount', 'missing'],
    [{ ...good, vip: null }, 'instances[0].vip', 'missing'],
    [{ ...good, amount: '12' }, 'instances[0].amount', 'string "12"'],
    [{ ...good, amount: Number.NaN }, 'instances[0].amount', 'NaN'],
    [{ ...good, amount: Infinity }, 'instances[0].amount', 'finite'],
    [{ ...good, amount: 1e39 }, 'instances[0].amount', 'float32'],
    [{ ...good, age: 1.5 }, 'instances[0].age', 'int8'],
    [{ ...good, age: 128 }, 'instances[0].age', '[-128, 127]'],
    [{ ...good, count: -1 }, 'instances[0].count', '[0, 65535]'],
    [{ ...good, country: 3 }, 'instances[0].country', 'string'],
    [{ ...good, vip: 'yes' }, 'instances[0].vip', 'boolean'],
    [{ ...good, big: 2 ** 60 }, 'instances[0].big', 'safe integer'],
    [{ ...good, big: '12x' }, 'instances[0].big', 'int64'],
  ])('refuses %j naming %s', (row, field, text) => {
    const error = refusal(() => validateRows([good, row], credit));
    expect(error.details.field).toBe(field.replace('[0]', '[1]'));
    expect(error.message).toContain(text);
  });

  it('refuses unknown categories by default and flags them when asked', () => {
    const row = { ...good, country: 'US' };
    const error = refusal(() => validateRows([good, row], credit));
    expect(error.details.field).toBe('instances[1].country');
    const { warnings } = validateRows([good, row], credit, { unknownCategories: 'flag' });
    expect(warnings).toEqual([
      { row: 1, field: 'country', message: expect.stringContaining('instances[1].country') },
    ]);
  });

  it('warns (never refuses) for values outside the range', () => {
    const { warnings } = validateRows([{ ...good, amount: 20_000 }, good, { ...good, amount: -1 }], credit);
    expect(warnings.map((w) => [w.row, w.field])).toEqual([
      [0, 'amount'],
      [2, 'amount'],
    ]);
    expect(warnings[0]?.message).toContain('[0, 10000]');
  });

  it('names paths for columnar and other request layouts', () => {
    const validate = compileRowValidator(credit, { field: 'inputs', layout: 'columns' });
    expect(refusal(() => validate([good, { ...good, age: 'x' }])).details.field).toBe('inputs.age[1]');
    const split = compileRowValidator(credit, { field: 'dataframe_split.data' });
    expect(refusal(() => split([{ ...good, age: 'x' }])).details.field).toBe('dataframe_split.data[0].age');
  });

  it('checks binary, datetime and object types', () => {
    const contract = columns([
      { name: 'b', type: 'binary' },
      { name: 'd', type: 'datetime' },
      { name: 'o', type: 'object' },
    ]);
    expect(validateRows([{ b: 'aGk=', d: '2024-01-02T03:04:05Z', o: { a: 1 } }], contract).warnings).toEqual(
      [],
    );
    expect(refusal(() => validateRows([{ b: 'aGk=', d: 'not a date', o: 1 }], contract)).details.field).toBe(
      'instances[0].d',
    );
    expect(refusal(() => validateRows([{ b: 1, d: 0, o: 1 }], contract)).details.field).toBe(
      'instances[0].b',
    );
  });

  it('reuses one compiled validator across requests', () => {
    const validate = compileRowValidator(credit, { unknownCategories: 'flag' });
    expect(validate([{ ...good, country: 'US' }]).warnings).toHaveLength(1);
    expect(validate([good]).warnings).toHaveLength(0);
  });
});

describe('validateRows with a tensors contract', () => {
  const image = tensors([
    { name: 'pixels', type: 'float32', shape: [-1, 2, 3], range: { min: 0, max: 1 } },
    { name: 'tokens', type: 'int32', shape: [-1, -1] },
    { name: 'mask', type: 'boolean', nullable: true },
  ]);
  const pixels = [
    [0, 0.5, 1],
    [0.1, 0.2, 0.3],
  ];

  it('accepts nested arrays of the per-row shape (-1 = any length)', () => {
    expect(
      validateRows(
        [
          { pixels, tokens: [1, 2, 3] },
          { pixels, tokens: [] },
        ],
        image,
      ).warnings,
    ).toEqual([]);
  });

  it('refuses wrong shapes and element kinds, naming the element', () => {
    expect(refusal(() => validateRows([{ pixels: [[0, 0, 0]], tokens: [1] }], image)).message).toContain(
      'instances[0].pixels must be an array of 2 values, got 1 values',
    );
    const bad = refusal(() =>
      validateRows(
        [
          {
            pixels: [
              [0, 0, 0],
              [0, 'a', 0],
            ],
            tokens: [1],
          },
        ],
        image,
      ),
    );
    expect(bad.details.field).toBe('instances[0].pixels');
    expect(bad.message).toContain('instances[0].pixels[1][1] must be');
    expect(refusal(() => validateRows([{ pixels, tokens: [1.5] }], image)).message).toContain(
      'instances[0].tokens[0]',
    );
    expect(refusal(() => validateRows([{ pixels, tokens: 3 }], image)).message).toContain('must be an array');
    expect(refusal(() => validateRows([{ tokens: [1] }], image)).details.field).toBe('instances[0].pixels');
  });

  it('warns once per row and field for out-of-range elements', () => {
    const hot = [
      [2, 3, 4],
      [0, 0, 0],
    ];
    const { warnings } = validateRows([{ pixels: hot, tokens: [] }], image);
    expect(warnings).toEqual([
      { row: 0, field: 'pixels', message: expect.stringContaining('outside the range') },
    ]);
  });

  it('accepts any nesting when the contract gives no shape', () => {
    const free = tensors([{ name: 't', type: 'int64' }]);
    expect(validateRows([{ t: [[1], [2, 3]] }, { t: 4 }], free).warnings).toEqual([]);
    expect(refusal(() => validateRows([{ t: [[1], ['x']] }], free)).message).toContain(
      'instances[0].t[1][0]',
    );
  });
});
