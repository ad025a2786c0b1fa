import { describe, expect, it } from 'vitest';
import { decodeSlipwayRequest, encodeSlipwayResponse } from '../../src/serving/protocols/slipway-json.js';
import { refusedField } from '../helpers/refusal.js';

const fieldOf = refusedField;

describe('decodeSlipwayRequest', () => {
  it('takes an entity id for every row or one per row, and string tags', () => {
    const every = decodeSlipwayRequest({
      instances: [{ a: 1 }, { a: 2 }],
      entity_id: 'u-1',
      tags: { src: 'app' },
    });
    expect(every.entityIds).toEqual(['u-1', 'u-1']);
    expect(every.tags).toEqual({ src: 'app' });
    const perRow = decodeSlipwayRequest({ inputs: { a: [1, 2] }, entity_ids: ['u-1', null] });
    expect(perRow.entityIds).toEqual(['u-1', undefined]);
    expect(decodeSlipwayRequest({ instances: [{ a: 1 }] })).not.toHaveProperty('entityIds');
    // A tag named __proto__ (JSON.parse makes it an own key) stays a tag, never a prototype.
    const tagged = decodeSlipwayRequest({ instances: [], tags: JSON.parse('{"__proto__":"x"}') as unknown });
    expect(Object.getPrototypeOf(tagged.tags)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(tagged.tags, '__proto__')?.value).toBe('x');
  });

  it.each([
    [{ instances: [{ a: 1 }], entity_id: 'u', entity_ids: ['u'] }, 'entity_ids'],
    [{ instances: [{ a: 1 }], entity_ids: ['u', 'v'] }, 'entity_ids'],
    [{ instances: [{ a: 1 }, { a: 2 }], entity_ids: ['u', 7] }, 'entity_ids[1]'],
    [{ instances: [{ a: 1 }], entity_id: '' }, 'entity_id'],
    [{ instances: [{ a: 1 }], entity_id: 'x'.repeat(257) }, 'entity_id'],
    [{ instances: [{ a: 1 }], tags: ['a'] }, 'tags'],
    [{ instances: [{ a: 1 }], tags: { a: 1 } }, 'tags.a'],
    [
      {
        instances: [{ a: 1 }],
        tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
      },
      'tags',
    ],
  ])('refuses bad entity ids and tags: %j names %s', (body, field) => {
    expect(fieldOf(() => decodeSlipwayRequest(body))).toBe(field);
  });

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
