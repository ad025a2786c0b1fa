import { describe, expect, it } from 'vitest';
import type { ApiVersion, ModelContract } from '@slipway/contracts';
import {
  adaptOutputs,
  adaptRows,
  apiVersionBreaks,
  effectiveContract,
  lifecycleHeaders,
} from '../../src/serving/api-versions.js';

const published: ModelContract = {
  inputs: { kind: 'columns', fields: [{ name: 'amount', type: 'float64', nullable: false }] },
  outputs: { kind: 'columns', fields: [{ name: 'prediction', type: 'int64', nullable: false }] },
  source: 'declared',
};
const next: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount_eur', type: 'float64', nullable: false },
      { name: 'country', type: 'string', nullable: false },
    ],
  },
  outputs: { kind: 'columns', fields: [{ name: 'score', type: 'int64', nullable: false }] },
  source: 'declared',
};
const adapter = {
  renameInputs: { amount: 'amount_eur' },
  defaults: { country: 'FR' },
  renameOutputs: { score: 'prediction' },
};

describe('api versions', () => {
  it('presents the model through the adapter: renamed, defaulted inputs hidden', () => {
    const seen = effectiveContract(next, adapter);
    expect(seen.inputs.fields.map((f) => f.name)).toEqual(['amount']);
    expect(seen.outputs.fields.map((f) => f.name)).toEqual(['prediction']);
  });

  it('finds the breaks without an adapter, none with it, and a type change even with it', () => {
    const api: ApiVersion = { name: 'v1', contract: published };
    expect(apiVersionBreaks(api, next).length).toBeGreaterThan(0);
    expect(apiVersionBreaks({ ...api, adapter }, next)).toEqual([]);
    const retyped: ModelContract = {
      ...next,
      outputs: { kind: 'columns', fields: [{ name: 'score', type: 'string', nullable: false }] },
    };
    expect(apiVersionBreaks({ ...api, adapter }, retyped).map((b) => b.field)).toEqual(['prediction']);
    expect(apiVersionBreaks(api, undefined)).toEqual([]);
  });

  it('adapts rows (defaults only where missing) and outputs (renamed, unpublished dropped)', () => {
    expect(adaptRows([{ amount: 3 }, { amount: 4, country: 'DE' }], adapter)).toEqual([
      { amount_eur: 3, country: 'FR' },
      { amount_eur: 4, country: 'DE' },
    ]);
    const api: ApiVersion = { name: 'v1', contract: published, adapter };
    expect(adaptOutputs([{ score: 1, debug: 'x' }], api)).toEqual([{ prediction: 1 }]);
  });

  it('announces deprecation only from its date, and a sunset always', () => {
    const api: ApiVersion = {
      name: 'v1',
      contract: published,
      deprecatedAt: 2_000_000,
      sunsetAt: 9_000_000_000,
    };
    expect(lifecycleHeaders(api, 1_000_000)).toEqual({ sunset: new Date(9_000_000_000).toUTCString() });
    expect(lifecycleHeaders(api, 3_000_000)['deprecation']).toBe('@2000');
  });
});
