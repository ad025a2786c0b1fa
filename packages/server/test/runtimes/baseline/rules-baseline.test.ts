import { describe, expect, it } from 'vitest';
import type { ModelContract } from '@slipway/contracts';
import { loadRulesBaseline, type RulesBaselineSpec } from '../../../src/runtimes/baseline/rules-baseline.js';
import { refusal } from '../../helpers/refusal.js';

const SPEC: RulesBaselineSpec = {
  kind: 'rules',
  output: 'risk',
  rules: [
    { when: "country in ('XX', 'YY')", then: 'blocked' },
    { when: 'amount > 1000 and not verified', then: 'high' },
    { when: 'amount > 1000', then: 'review' },
    { when: '`card age days` < 7', then: { risk: 'new-card', score: 0.7 } },
  ],
  default: 'low',
};

const CONTRACT: ModelContract = {
  source: 'declared',
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'country', type: 'string', nullable: false },
      { name: 'amount', type: 'float64', nullable: false },
      { name: 'verified', type: 'boolean', nullable: true },
      { name: 'card age days', type: 'int32', nullable: true },
    ],
  },
  outputs: {
    kind: 'columns',
    fields: [
      { name: 'risk', type: 'string', nullable: false },
      { name: 'score', type: 'float64', nullable: true },
    ],
  },
};

describe('rules baseline', () => {
  it('returns the first matching rule, else the default', async () => {
    const model = loadRulesBaseline(SPEC);
    const out = await model.predict([
      { country: 'XX', amount: 5000, verified: false },
      { country: 'FR', amount: 5000, verified: false },
      { country: 'FR', amount: 5000, verified: true },
      { country: 'FR', amount: 10, 'card age days': 2 },
      { country: 'FR', amount: 10, 'card age days': 30 },
      { country: 'FR', amount: 10 },
      // verified unknown: `not null` is null, so rule 1 does not match and rule 2 does.
      { country: 'FR', amount: 5000, verified: null },
    ]);
    expect(out).toEqual([
      { risk: 'blocked' },
      { risk: 'high' },
      { risk: 'review' },
      { risk: 'new-card', score: 0.7 },
      { risk: 'low' },
      { risk: 'low' },
      { risk: 'review' },
    ]);
    await model.close();
  });

  it('names its output prediction by default and copies outputs per row', async () => {
    const model = loadRulesBaseline({
      kind: 'rules',
      rules: [{ when: 'x > 0', then: [1, 2] }],
      default: null,
    });
    const [first, second, third] = await model.predict([{ x: 1 }, { x: 1 }, { x: -1 }]);
    expect(first).toEqual({ prediction: [1, 2] });
    (first?.prediction as number[]).push(3);
    expect(second).toEqual({ prediction: [1, 2] });
    expect(third).toEqual({ prediction: null });
    expect(await model.predict([{ x: 1 }])).toEqual([{ prediction: [1, 2] }]);
  });

  it('reports the columns its rules read', () => {
    expect(loadRulesBaseline(SPEC).referencedColumns()).toEqual([
      'country',
      'amount',
      'verified',
      'card age days',
    ]);
  });

  it('refuses a malformed rule at load, naming rules[i].when and the position', () => {
    const spec: RulesBaselineSpec = { ...SPEC, rules: [SPEC.rules[0]!, { when: 'amount >', then: 'x' }] };
    const error = refusal(() => loadRulesBaseline(spec));
    expect(error.details).toMatchObject({ field: 'rules[1].when', position: 8 });
  });

  it('accepts rules that fit the contract and keeps the contract', () => {
    expect(loadRulesBaseline(SPEC, CONTRACT).contract).toBe(CONTRACT);
  });

  it('refuses a rule reading a column the contract does not declare, naming column and rule index', () => {
    const spec: RulesBaselineSpec = {
      ...SPEC,
      rules: [...SPEC.rules, { when: 'amount > 1 and merchant_id = 3', then: 'x' }],
    };
    const error = refusal(() => loadRulesBaseline(spec, CONTRACT));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({
      field: 'rules[4].when',
      position: 15,
      column: 'merchant_id',
      rule: 4,
    });
    expect(error.message).toMatch(/rule 4 reads column 'merchant_id'/);
  });

  it('refuses a rule whose types contradict the contract', () => {
    const spec: RulesBaselineSpec = { ...SPEC, rules: [{ when: 'country = 3', then: 'x' }] };
    const error = refusal(() => loadRulesBaseline(spec, CONTRACT));
    expect(error.details).toMatchObject({ field: 'rules[0].when', position: 10 });
    expect(error.message).toMatch(/cannot compare string column 'country' with number 3/);
  });

  it('refuses outputs the contract does not declare', () => {
    const spec: RulesBaselineSpec = {
      ...SPEC,
      rules: [{ when: 'amount > 1', then: { risk: 'a', extra: 1 } }],
    };
    expect(refusal(() => loadRulesBaseline(spec, CONTRACT)).details.field).toBe('rules[0].then');
    const badDefault: RulesBaselineSpec = { ...SPEC, default: { level: 'low' } };
    expect(refusal(() => loadRulesBaseline(badDefault, CONTRACT)).details.field).toBe('default');
  });

  it('refuses rows whose columns hold non-scalar values, naming the row', async () => {
    const model = loadRulesBaseline(SPEC);
    await expect(
      model.predict([{ country: 'FR', amount: 1 }, { country: { code: 'FR' } }]),
    ).rejects.toMatchObject({
      details: { field: 'rows[1].country' },
    });
  });
});
