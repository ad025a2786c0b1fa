import { describe, expect, it } from 'vitest';
import { SlipwayError, type ModelContract } from '@slipway/contracts';
import { decodeMlflowCsv, parseCsv } from '../../src/serving/protocols/csv.js';

const contract: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount', type: 'float64', nullable: true },
      { name: 'country', type: 'string', nullable: false },
      { name: 'verified', type: 'boolean', nullable: false },
    ],
  },
  outputs: { kind: 'columns', fields: [] },
  source: 'declared',
};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof SlipwayError ? error.details.field : undefined;
  }
  return undefined;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', '2'],
    ]);
    expect(parseCsv('a\n1\n')).toEqual([['a'], ['1']]);
  });

  it('refuses a body that ends inside quotes', () => {
    expect(fieldOf(() => parseCsv('a\n"open'))).toBe('csv');
  });
});

describe('decodeMlflowCsv', () => {
  it('types values by the contract: numbers, strings, booleans, empty as null', () => {
    const { rows, source } = decodeMlflowCsv('amount,country,verified\n12.5,007,true\n,FR,false\n', contract);
    expect(rows).toEqual([
      { amount: 12.5, country: '007', verified: true },
      { amount: null, country: 'FR', verified: false },
    ]);
    expect(source).toEqual({ field: 'csv', layout: 'rows' });
  });

  it('leaves unparsable values as text for the validator, and guesses numbers without a contract', () => {
    expect(decodeMlflowCsv('amount,country,verified\nabc,FR,maybe\n', contract).rows[0]).toEqual({
      amount: 'abc',
      country: 'FR',
      verified: 'maybe',
    });
    expect(decodeMlflowCsv('x,y\n1,b\n').rows).toEqual([{ x: 1, y: 'b' }]);
  });

  it('refuses a missing header and ragged records, naming the record', () => {
    expect(fieldOf(() => decodeMlflowCsv(''))).toBe('csv');
    expect(fieldOf(() => decodeMlflowCsv('a,b\n1,2\n3\n'))).toBe('csv[1]');
  });
});
