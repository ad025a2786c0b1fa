import { describe, expect, it } from 'vitest';
import type { ModelContract } from '@slipway/contracts';
import { loadBaseline, parseBaselineSpec } from '../../../src/runtimes/baseline/baseline-spec.js';
import { fitConstantBaseline } from '../../../src/runtimes/baseline/constant-baseline.js';
import { fitLookupBaseline } from '../../../src/runtimes/baseline/lookup-baseline.js';
import { refusal } from '../../helpers/refusal.js';

const RULES = {
  kind: 'rules',
  output: 'tier',
  rules: [
    { when: 'spend > 1000', then: 'gold' },
    { when: 'spend > 100', then: { tier: 'silver', discount: 0.05 } },
  ],
  default: 'bronze',
};

const LOOKUP = fitLookupBaseline({ key: ['store'], time: 't', lag: 'PT1H', target: 'y' }, [
  { store: 'A', t: 0, y: 2 },
  { store: 'A', t: 3_600_000, y: 4 },
]);

describe('parseBaselineSpec', () => {
  it('accepts every kind and keeps fitted specs as they are', () => {
    const classifier = fitConstantBaseline({ task: 'classification', labels: [0, 1, 1] });
    const regressor = fitConstantBaseline({
      task: 'regression',
      strategy: 'quantile',
      labels: [1, 2],
      q: 0.9,
    });
    const sql = { kind: 'sql', query: 'select row_id, 1 as y from input', timeoutMs: 100 };
    for (const spec of [classifier, regressor, RULES, LOOKUP, sql]) {
      expect(parseBaselineSpec(JSON.parse(JSON.stringify(spec)), 'baseline')).toEqual(spec);
    }
  });

  const invalid: [string, unknown, string, RegExp?][] = [
    ['not an object', 'rules', 'baseline', /must be an object/],
    ['unknown kind', { kind: 'neural' }, 'baseline.kind', /one of constant, rules, lookup, sql/],
    ['unknown key', { ...RULES, rule: [] }, 'baseline.rule', /not a known key/],
    ['rules not a list', { ...RULES, rules: {} }, 'baseline.rules'],
    ['rule not an object', { ...RULES, rules: ['x > 1'] }, 'baseline.rules[0]'],
    ['when not a string', { ...RULES, rules: [{ when: 1, then: 1 }] }, 'baseline.rules[0].when'],
    [
      'when malformed',
      { ...RULES, rules: [RULES.rules[0], { when: 'a >', then: 1 }] },
      'baseline.rules[1].when',
    ],
    ['then missing', { ...RULES, rules: [{ when: 'a > 1' }] }, 'baseline.rules[0].then'],
    [
      'then not JSON',
      { ...RULES, rules: [{ when: 'a > 1', then: { x: Number.NaN } }] },
      'baseline.rules[0].then.x',
    ],
    ['default missing', { kind: 'rules', rules: [] }, 'baseline.default', /required/],
    ['output empty', { ...RULES, output: '' }, 'baseline.output'],
    ['task unknown', { kind: 'constant', task: 'ranking' }, 'baseline.task'],
    [
      'probabilities do not sum to 1',
      { kind: 'constant', task: 'classification', label: 'a', probabilities: { a: 0.5, b: 0.4 } },
      'baseline.probabilities',
      /sum to 1/,
    ],
    [
      'probability out of range',
      { kind: 'constant', task: 'classification', label: 'a', probabilities: { a: 1.5, b: -0.5 } },
      'baseline.probabilities.a',
    ],
    [
      'label without a probability',
      { kind: 'constant', task: 'classification', label: 'c', probabilities: { a: 1 } },
      'baseline.label',
    ],
    [
      'strategy unknown',
      { kind: 'constant', task: 'regression', strategy: 'mode', prediction: 1 },
      'baseline.strategy',
    ],
    [
      'quantile without q',
      { kind: 'constant', task: 'regression', strategy: 'quantile', prediction: 1 },
      'baseline.q',
    ],
    [
      'q without quantile',
      { kind: 'constant', task: 'regression', strategy: 'mean', q: 0.5, prediction: 1 },
      'baseline.q',
    ],
    ['prediction missing', { kind: 'constant', task: 'regression', strategy: 'mean' }, 'baseline.prediction'],
    ['lag bad', { ...LOOKUP, lag: 'P1M' }, 'baseline.lag'],
    ['key not a list', { ...LOOKUP, key: 'store' }, 'baseline.key'],
    ['key column empty', { ...LOOKUP, key: [''] }, 'baseline.key[0]'],
    ['entry key length', { ...LOOKUP, entries: [{ key: [], time: 0, value: 1 }] }, 'baseline.entries[0].key'],
    [
      'entry value',
      { ...LOOKUP, entries: [{ key: ['A'], time: 0, value: '1' }] },
      'baseline.entries[0].value',
    ],
    ['fallback', { ...LOOKUP, fallback: 'mean' }, 'baseline.fallback'],
    ['sql query empty', { kind: 'sql', query: ' ' }, 'baseline.query'],
    ['sql timeout', { kind: 'sql', query: 'select 1', timeoutMs: 0 }, 'baseline.timeoutMs'],
  ];

  it.each(invalid)('refuses %s, naming %s', (_name, json, field, message) => {
    const error = refusal(() => parseBaselineSpec(json, 'baseline'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe(field);
    if (message) expect(error.message).toMatch(message);
  });

  it('reports the position of a malformed rule', () => {
    const json = { ...RULES, rules: [{ when: 'spend > > 1', then: 1 }] };
    expect(refusal(() => parseBaselineSpec(json, 'spec')).details).toMatchObject({
      field: 'spec.rules[0].when',
      position: 8,
    });
  });
});

describe('loadBaseline', () => {
  const contract: ModelContract = {
    source: 'declared',
    inputs: { kind: 'columns', fields: [{ name: 'spend', type: 'float64', nullable: false }] },
    outputs: { kind: 'columns', fields: [] },
  };

  it('dispatches rules, constant and lookup specs', async () => {
    const rules = await loadBaseline(parseBaselineSpec(RULES, 'spec'), contract);
    expect(rules.contract).toBe(contract);
    expect(await rules.predict([{ spend: 5000 }, { spend: 500 }, { spend: 5 }])).toEqual([
      { tier: 'gold' },
      { tier: 'silver', discount: 0.05 },
      { tier: 'bronze' },
    ]);
    const constant = await loadBaseline(
      fitConstantBaseline({ task: 'classification', labels: ['a'] }),
      contract,
    );
    expect(constant.contract).toBe(contract);
    expect(await constant.predict([{}])).toEqual([{ label: 'a', probabilities: { a: 1 } }]);
    const lookup = await loadBaseline(LOOKUP);
    expect(await lookup.predict([{ store: 'A', t: 7_200_000 }])).toEqual([{ prediction: 4 }]);
  });

  it('refuses rules that read columns outside the contract', async () => {
    const spec = parseBaselineSpec({ ...RULES, rules: [{ when: 'age > 1', then: 'x' }] }, 'spec');
    await expect(loadBaseline(spec, contract)).rejects.toMatchObject({ details: { field: 'rules[0].when' } });
  });

  it('dispatches sql specs to the SQL runtime', async () => {
    const model = await loadBaseline({ kind: 'sql', query: 'select row_id, x * 2 as y from input' });
    try {
      expect(await model.predict([{ x: 1 }, { x: 2.5 }])).toEqual([{ prediction: 2 }, { prediction: 5 }]);
    } finally {
      await model.close();
    }
  });
});
