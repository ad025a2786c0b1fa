import { describe, expect, it } from 'vitest';
import {
  decodeAggregateQuery,
  decodeExportQuery,
  decodeLabelsBody,
  decodePredictionQuery,
  decodeTime,
  duration,
} from '../../src/predictions/prediction-wire.js';
import { refusedField } from '../helpers/refusal.js';

const fieldOf = refusedField;

describe('decodeLabelsBody', () => {
  it('takes one label or a list, by prediction id or by entity id and window', () => {
    expect(decodeLabelsBody({ prediction_id: 'p-1', label: 1 })).toEqual([{ predictionId: 'p-1', value: 1 }]);
    expect(
      decodeLabelsBody({
        labels: [
          { prediction_id: 'p-1', label: 'fraud' },
          { entity_id: 'u-7', from: '2026-01-01T00:00:00Z', to: 1_767_312_000_000, label: true },
        ],
      }),
    ).toEqual([
      { predictionId: 'p-1', value: 'fraud' },
      { entityId: 'u-7', from: Date.UTC(2026, 0, 1), to: 1_767_312_000_000, value: true },
    ]);
  });

  it.each([
    [{ labels: 'x' }, 'labels'],
    [{ labels: [], extra: 1 }, 'extra'],
    [{ labels: [{ label: 1 }] }, 'labels[0].prediction_id'],
    [{ labels: [{ prediction_id: 'p', entity_id: 'e', label: 1 }] }, 'labels[0].prediction_id'],
    [{ labels: [{ prediction_id: 'p', label: 1 }, { prediction_id: 'q' }] }, 'labels[1].label'],
    [{ prediction_id: 'p', label: null }, 'label.label'],
    [{ prediction_id: 'p', label: Number.NaN }, 'label.label'],
    [{ prediction_id: 'p', label: { a: 1 } }, 'label.label'],
    [{ prediction_id: '', label: 1 }, 'label.prediction_id'],
    [{ prediction_id: 'p', from: 1, label: 1 }, 'label.from'],
    [{ entity_id: 'e', from: 5, to: 5, label: 1 }, 'label.to'],
    [{ entity_id: 'e', from: 'yesterday', label: 1 }, 'label.from'],
    [{ prediction_id: 'p', label: 1, value: 2 }, 'label.value'],
    [[{ prediction_id: 'p', label: 1 }], 'label'],
  ])('refuses %j naming %s', (body, field) => {
    expect(fieldOf(() => decodeLabelsBody(body))).toBe(field);
  });
});

describe('query strings', () => {
  it('decodes prediction filters and paging', () => {
    expect(
      decodePredictionQuery('fraud', {
        from: '2026-01-01T00:00:00.000Z',
        to: '1767312000000',
        modelVersion: '3',
        arm: 'canary',
        entityId: 'u-7',
        tag: 'source:app:v2',
        labelled: 'true',
        limit: '50',
        cursor: 'abc',
      }),
    ).toEqual({
      endpoint: 'fraud',
      from: Date.UTC(2026, 0, 1),
      to: 1_767_312_000_000,
      modelVersion: '3',
      arm: 'canary',
      entityId: 'u-7',
      tag: { key: 'source', value: 'app:v2' },
      labelled: true,
      limit: 50,
      cursor: 'abc',
    });
    expect(decodePredictionQuery('fraud', {})).toEqual({ endpoint: 'fraud', limit: 100 });
  });

  it.each([
    [{ arm: 'blue' }, 'arm'],
    [{ tag: 'nocolon' }, 'tag'],
    [{ labelled: 'yes' }, 'labelled'],
    [{ status: 'failed' }, 'status'],
    [{ limit: '1.5' }, 'limit'],
    [{ from: 'soon' }, 'from'],
  ])('refuses %j naming %s', (query, field) => {
    expect(fieldOf(() => decodePredictionQuery('e', query))).toBe(field);
  });

  it('decodes the status filter of queries, exports and aggregates', () => {
    expect(decodePredictionQuery('e', { status: 'error' })).toEqual({
      endpoint: 'e',
      limit: 100,
      status: 'error',
    });
    expect(decodeExportQuery('e', { status: 'ok' })).toEqual({
      endpoint: 'e',
      format: 'parquet',
      status: 'ok',
    });
    expect(decodeAggregateQuery('e', { from: '0', to: '1', status: 'error' })).toEqual({
      endpoint: 'e',
      from: 0,
      to: 1,
      bucketMs: 3_600_000,
      status: 'error',
      limit: 100,
    });
  });

  it('decodes aggregates with a bucket duration and groups; from and to are required', () => {
    expect(
      decodeAggregateQuery('e', {
        from: '0',
        to: '86400000',
        bucket: '1h',
        groupBy: 'modelVersion,arm',
        predictionField: 'label',
      }),
    ).toEqual({
      endpoint: 'e',
      limit: 100,
      from: 0,
      to: 86_400_000,
      bucketMs: 3_600_000,
      groupBy: ['modelVersion', 'arm'],
      predictionField: 'label',
    });
    expect(fieldOf(() => decodeAggregateQuery('e', { to: '1' }))).toBe('from');
    expect(fieldOf(() => decodeAggregateQuery('e', { from: '0' }))).toBe('to');
    expect(fieldOf(() => decodeAggregateQuery('e', { from: '0', to: '1', groupBy: 'model' }))).toBe(
      'groupBy',
    );
  });

  it('reads times and durations', () => {
    expect(decodeTime(12, 'x')).toBe(12);
    expect(decodeTime('2026-01-01', 'x')).toBe(Date.UTC(2026, 0, 1));
    expect([duration('250', 'b'), duration('30s', 'b'), duration('5m', 'b'), duration('1d', 'b')]).toEqual([
      250, 30_000, 300_000, 86_400_000,
    ]);
    expect(fieldOf(() => duration('0', 'bucket'))).toBe('bucket');
    expect(fieldOf(() => duration('1w', 'bucket'))).toBe('bucket');
  });
});
