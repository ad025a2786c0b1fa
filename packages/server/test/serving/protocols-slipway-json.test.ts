import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { decodeSlipwayRequest, encodeSlipwayResponse } from '../../src/serving/protocols/slipway-json.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return (error as SlipwayError).details.field;
  }
  throw new Error('expected a refusal');
}

describe('decodeSlipwayRequest', () => {
  it('decodes instances with routing_key and parameters', () => {
    const request = decodeSlipwayRequest({
      instances: [{ a: 1 }, { a: 2 }],
      routing_key: 'user-7',
      parameters: { threshold: 0.5 },
    });
    expect(request).toEqual({
      rows: [{ a: 1 }, { a: 2 }],
      source: { field: 'instances', layout: 'rows' },
      routingKey: 'user-7',
      parameters: { threshold: 0.5 },
    });
  });

  it('decodes columnar inputs into rows', () => {
    const request = decodeSlipwayRequest({ inputs: { a: [1, 2], b: ['x', 'y'] } });
    expect(request.rows).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(request.source).toEqual({ field: 'inputs', layout: 'columns' });
  });

  it('keeps a __proto__ column as data, never as a prototype', () => {
    const body = JSON.parse('{"inputs": {"__proto__": [1]}}') as unknown;
    const [row] = decodeSlipwayRequest(body).rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['__proto__']);
  });

  it('accepts an empty instances list', () => {
    expect(decodeSlipwayRequest({ instances: [] }).rows).toEqual([]);
  });

  it.each([
    [[], 'body'],
    [{}, 'instances'],
    [{ instances: [{}], inputs: { a: [1] } }, 'inputs'],
    [{ instances: [{}], extra: 1 }, 'extra'],
    [{ instances: {} }, 'instances'],
    [{ instances: [{}, [1]] }, 'instances[1]'],
    [{ instances: [{}, null] }, 'instances[1]'],
    [{ inputs: [] }, 'inputs'],
    [{ inputs: {} }, 'inputs'],
    [{ inputs: { a: [1, 2], b: [1] } }, 'inputs.b'],
    [{ inputs: { a: 1 } }, 'inputs.a'],
    [{ instances: [{}], routing_key: 5 }, 'routing_key'],
    [{ instances: [{}], parameters: [] }, 'parameters'],
  ])('refuses %j naming %s', (body, field) => {
    expect(fieldOf(() => decodeSlipwayRequest(body))).toBe(field);
  });
});

describe('encodeSlipwayResponse', () => {
  const parts = {
    endpoint: 'fraud',
    modelName: 'fraud-model',
    modelVersion: '3',
    arm: 'canary' as const,
    predictionIds: ['p1', 'p2'],
    predictions: [{ label: 1 }, { label: 0 }],
  };

  it('builds the body and omits empty warnings', () => {
    expect(encodeSlipwayResponse({ ...parts, warnings: [] })).toEqual({
      endpoint: 'fraud',
      model_name: 'fraud-model',
      model_version: '3',
      arm: 'canary',
      prediction_ids: ['p1', 'p2'],
      predictions: [{ label: 1 }, { label: 0 }],
    });
  });

  it('includes warnings when there are some', () => {
    const warnings = [{ row: 1, field: 'country', message: 'unknown' }];
    expect(encodeSlipwayResponse({ ...parts, warnings }).warnings).toEqual(warnings);
  });
});
