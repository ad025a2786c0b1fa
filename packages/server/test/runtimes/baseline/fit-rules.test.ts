import { describe, expect, it } from 'vitest';
import type { ContractField } from '@slipway/contracts';
import type { DatasetColumn } from '../../../src/evaluation/dataset-reader.js';
import { assertValidContract } from '../../../src/registry/contract-compat.js';
import { parseBaselineSpec } from '../../../src/runtimes/baseline/baseline-spec.js';
import { datasetContract } from '../../../src/runtimes/baseline/dataset-contract.js';
import { fitRulesBaseline, type FitRulesOptions } from '../../../src/runtimes/baseline/fit-rules.js';
import { contractColumnTypes, loadRulesBaseline } from '../../../src/runtimes/baseline/rules-baseline.js';
import { refusal } from '../../helpers/refusal.js';

const PAYMENTS = [
  { amount: 10, country: 'FR', label: 'ok' },
  { amount: 2000, country: 'FR', label: 'fraud' },
  { amount: 3000, country: 'XX', label: 'fraud' },
  { amount: 1500, country: 'DE', label: 'ok' },
  { amount: 5, country: 'XX', label: 'fraud' },
  { amount: 20, country: 'DE', label: 'ok' },
  { amount: 1200, country: 'FR', label: 'fraud' },
];

const CLASSIFY: FitRulesOptions = {
  task: 'classification',
  labelColumn: 'label',
  rows: PAYMENTS,
  rules: [{ when: "country = 'XX'", then: 'blocked' }, { when: 'amount > 1000' }, { when: 'amount < 0' }],
};

const MEASUREMENTS = [
  { x: 10, y: 100 },
  { x: 3, y: 2 },
  { x: 1, y: 4 },
  { x: -1, y: 7 },
];

describe('fitRulesBaseline: classification', () => {
  it('keeps given outputs, fits the rest by majority, default from unmatched rows', () => {
    expect(fitRulesBaseline(CLASSIFY)).toEqual({
      kind: 'rules',
      output: 'label',
      rules: [
        { when: "country = 'XX'", then: 'blocked' },
        // rows 1, 3 and 6 (row 2 also has amount > 1000 but rule 0 took it first).
        { when: 'amount > 1000', then: 'fraud' },
        // matches no row: fitted from all rows, where fraud wins 4 to 3.
        { when: 'amount < 0', then: 'fraud' },
      ],
      // rows 0 and 5, both ok.
      default: 'ok',
    });
  });

  it('breaks ties like fitConstantBaseline: smallest label, numbers in numeric order', () => {
    const rows = [
      { g: 1, label: 10 },
      { g: 1, label: 2 },
      { g: 0, label: 10 },
    ];
    const spec = fitRulesBaseline({
      task: 'classification',
      labelColumn: 'label',
      rows,
      rules: [{ when: 'g = 1' }],
    });
    expect(spec.rules[0]?.then).toBe(2);
    const strings = [
      { g: 1, label: 'b' },
      { g: 1, label: 'a' },
    ];
    const fitted = fitRulesBaseline({
      task: 'classification',
      labelColumn: 'label',
      rows: strings,
      rules: [{ when: 'g = 1' }],
    });
    expect(fitted.rules[0]?.then).toBe('a');
  });

  it('round-trips through parseBaselineSpec and loadRulesBaseline', async () => {
    const spec = fitRulesBaseline(CLASSIFY);
    expect(parseBaselineSpec(JSON.parse(JSON.stringify(spec)), 'baseline')).toEqual(spec);
    const model = loadRulesBaseline(spec);
    const inputs = PAYMENTS.map(({ amount, country }) => ({ amount, country }));
    expect((await model.predict(inputs)).map((row) => row.label)).toEqual([
      'ok',
      'fraud',
      'blocked',
      'fraud',
      'blocked',
      'ok',
      'fraud',
    ]);
  });
});

describe('fitRulesBaseline: regression', () => {
  it('fits means with first-match assignment and names the output prediction', () => {
    const spec = fitRulesBaseline({
      task: 'regression',
      labelColumn: 'y',
      rows: MEASUREMENTS,
      rules: [{ when: 'x > 5' }, { when: 'x > 0' }],
    });
    expect(spec).toEqual({
      kind: 'rules',
      output: 'prediction',
      // rule 1 sees only x = 3 and x = 1: the x = 10 row went to rule 0.
      rules: [
        { when: 'x > 5', then: 100 },
        { when: 'x > 0', then: 3 },
      ],
      default: 7,
    });
    expect(parseBaselineSpec(spec, 'baseline')).toEqual(spec);
  });

  it('fits the default on all rows when every row matches a rule', () => {
    const spec = fitRulesBaseline({
      task: 'regression',
      labelColumn: 'y',
      rows: MEASUREMENTS,
      rules: [{ when: 'x > -100', then: 0 }],
    });
    expect(spec.default).toBe((100 + 2 + 4 + 7) / 4);
    expect(spec.rules).toEqual([{ when: 'x > -100', then: 0 }]);
  });

  it('keeps an object then as a whole output row', async () => {
    const spec = fitRulesBaseline({
      task: 'regression',
      labelColumn: 'y',
      rows: MEASUREMENTS,
      rules: [{ when: 'x > 5', then: { prediction: 1, note: 'big' } }],
    });
    const model = loadRulesBaseline(spec);
    expect(await model.predict([{ x: 9 }, { x: 0 }])).toEqual([
      { prediction: 1, note: 'big' },
      { prediction: 13 / 3 },
    ]);
  });
});

describe('fitRulesBaseline: refusals', () => {
  it('names the row of a missing label', () => {
    const rows = [{ amount: 1, label: 'ok' }, { amount: 2 }];
    const error = refusal(() => fitRulesBaseline({ ...CLASSIFY, rows }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'rows[1].label' } });
    expect(error.message).toBe('rows[1].label is missing');
  });

  it('needs finite numeric labels for regression', () => {
    const rows = [
      { x: 1, y: 2 },
      { x: 1, y: 'high' },
    ];
    const error = refusal(() => fitRulesBaseline({ task: 'regression', labelColumn: 'y', rows, rules: [] }));
    expect(error.details.field).toBe('rows[1].y');
    expect(error.message).toContain('finite number');
    const nan = refusal(() =>
      fitRulesBaseline({ task: 'regression', labelColumn: 'y', rows: [{ y: Number.NaN }], rules: [] }),
    );
    expect(nan.details.field).toBe('rows[0].y');
  });

  it('refuses classification labels of mixed types', () => {
    const rows = [{ label: 1 }, { label: '1' }];
    const error = refusal(() => fitRulesBaseline({ ...CLASSIFY, rows, rules: [] }));
    expect(error.details.field).toBe('rows[1].label');
    expect(error.message).toContain('is a string but earlier labels are numbers');
  });

  it('surfaces the parser’s positional error on rules[i].when', () => {
    const rules = [{ when: 'amount > 1' }, { when: 'amount > and' }];
    const error = refusal(() => fitRulesBaseline({ ...CLASSIFY, rules }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'rules[1].when' } });
    expect(typeof error.details.position).toBe('number');
    expect(error.message).toContain('rules[1].when');
  });

  it('type-checks rules against columnTypes', () => {
    const columnTypes = new Map([
      ['amount', 'number' as const],
      ['country', 'string' as const],
    ]);
    const mismatch = refusal(() =>
      fitRulesBaseline({ ...CLASSIFY, columnTypes, rules: [{ when: "amount = 'big'" }] }),
    );
    expect(mismatch.details.field).toBe('rules[0].when');
    const unknown = refusal(() =>
      fitRulesBaseline({ ...CLASSIFY, columnTypes, rules: [{ when: 'age > 3' }] }),
    );
    expect(unknown).toMatchObject({ details: { field: 'rules[0].when', column: 'age', position: 0 } });
  });

  it('refuses a rule that reads the label', () => {
    const error = refusal(() => fitRulesBaseline({ ...CLASSIFY, rules: [{ when: "label = 'ok'" }] }));
    expect(error.details.field).toBe('rules[0].when');
    expect(error.message).toContain('label column');
  });

  it('refuses no rows', () => {
    const error = refusal(() => fitRulesBaseline({ ...CLASSIFY, rows: [] }));
    expect(error.details.field).toBe('rows');
  });
});

describe('datasetContract', () => {
  const columns: DatasetColumn[] = [
    { name: 'amount', type: 'float64', nullable: false },
    { name: 'country', type: 'string', nullable: true },
    { name: 'label', type: 'string', nullable: false },
  ];
  const outputs: ContractField[] = [{ name: 'label', type: 'string', nullable: false }];

  it('declares every column but the label as an input and passes registry validation', () => {
    const contract = datasetContract(columns, 'label', outputs);
    expect(contract).toEqual({
      source: 'declared',
      inputs: {
        kind: 'columns',
        fields: [
          { name: 'amount', type: 'float64', nullable: false },
          { name: 'country', type: 'string', nullable: true },
        ],
      },
      outputs: { kind: 'columns', fields: outputs },
    });
    expect(() => assertValidContract(contract, 'contract')).not.toThrow();
  });

  it('lets a fitted rules baseline load against it', async () => {
    const contract = datasetContract(columns, 'label', outputs);
    const spec = fitRulesBaseline({ ...CLASSIFY, columnTypes: contractColumnTypes(contract) });
    const model = loadRulesBaseline(spec, contract);
    expect(await model.predict([{ amount: 5000, country: 'FR' }])).toEqual([{ label: 'fraud' }]);
  });

  it('refuses a label column the dataset lacks', () => {
    const error = refusal(() => datasetContract(columns, 'target', outputs));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'labelColumn' } });
    expect(error.message).toContain("'target'");
  });
});
