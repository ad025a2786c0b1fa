import { describe, expect, it } from 'vitest';
import { SlipwayError, type LogBatch } from '@slipway/contracts';
import {
  resolveMaxResults,
  validateDatasetInputs,
  validateKey,
  validateLogBatch,
  validateArtifactLocation,
  validateRunId,
} from '../../src/tracking/tracking-validation.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return (err as SlipwayError).details.field;
  }
  throw new Error('expected a validation error');
}

const batch = (over: Partial<LogBatch>): LogBatch => ({ metrics: [], params: {}, tags: {}, ...over });
const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 1, step: i });

describe('validateKey', () => {
  it.each(['acc', 'val/loss', 'a.b-c_d e', 'x'.repeat(250)])('accepts %s', (key) => {
    expect(validateKey('metric', key, 'key')).toBe(key);
  });

  it.each(['', 'a\\b', 'a:b', 'ü', '../x', 'a/../b', '/abs', 'a//b', './a', 'a/', '.', 'x'.repeat(251)])(
    'rejects %j',
    (key) => {
      expect(fieldOf(() => validateKey('param', key, 'params.key'))).toBe('params.key');
    },
  );
});

describe('validateLogBatch', () => {
  it('accepts NaN and infinities as metric values, as MLflow does', () => {
    const m = [NaN, Infinity, -Infinity].map((value, i) => ({ key: 'm', value, timestamp: 0, step: i }));
    expect(() => validateLogBatch(batch({ metrics: m }))).not.toThrow();
  });

  it('enforces MLflow batch limits', () => {
    expect(() =>
      validateLogBatch(batch({ metrics: Array.from({ length: 1000 }, (_, i) => metric(i)) })),
    ).not.toThrow();
    expect(
      fieldOf(() => validateLogBatch(batch({ metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }))),
    ).toBe('metrics');
    const params = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'v']));
    expect(fieldOf(() => validateLogBatch(batch({ params })))).toBe('params');
    const metrics = Array.from({ length: 950 }, (_, i) => metric(i));
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    expect(fieldOf(() => validateLogBatch(batch({ metrics, tags })))).toBe('batch');
  });

  it('names the offending metric field', () => {
    const bad = [metric(0), { key: 'm', value: 1, timestamp: -5, step: 0 }];
    expect(fieldOf(() => validateLogBatch(batch({ metrics: bad })))).toBe('metrics[1].timestamp');
    expect(fieldOf(() => validateLogBatch(batch({ metrics: [{ ...metric(0), step: 1.5 }] })))).toBe(
      'metrics[0].step',
    );
    const repeated = [metric(0), { ...metric(1), key: 'm0' }, { ...metric(2), key: 'bad:key' }];
    expect(fieldOf(() => validateLogBatch(batch({ metrics: repeated })))).toBe('metrics[2].key');
    expect(fieldOf(() => validateLogBatch(batch({ metrics: [{ ...metric(0), key: 'a..b/../c' }] })))).toBe(
      'metrics[0].key',
    );
  });

  it('bounds param and tag values at MLflow limits', () => {
    expect(() => validateLogBatch(batch({ params: { p: 'x'.repeat(6000) } }))).not.toThrow();
    expect(fieldOf(() => validateLogBatch(batch({ params: { p: 'x'.repeat(6001) } })))).toBe('params.p');
    expect(fieldOf(() => validateLogBatch(batch({ tags: { t: 'x'.repeat(5001) } })))).toBe('tags.t');
  });
});

describe('other validators', () => {
  it('checks run ids', () => {
    expect(validateRunId('0123456789abcdef0123456789abcdef')).toHaveLength(32);
    expect(fieldOf(() => validateRunId('../etc'))).toBe('run_id');
    expect(fieldOf(() => validateRunId(''))).toBe('run_id');
  });

  it('bounds max_results', () => {
    expect(resolveMaxResults(undefined)).toBe(1000);
    expect(resolveMaxResults(50000)).toBe(50000);
    expect(fieldOf(() => resolveMaxResults(0))).toBe('max_results');
    expect(fieldOf(() => resolveMaxResults(50001))).toBe('max_results');
  });

  it('checks dataset inputs', () => {
    const dataset = { name: 'd', digest: 'abc', sourceType: 'local', source: '{}' };
    expect(() =>
      validateDatasetInputs([{ dataset, tags: { 'mlflow.data.context': 'training' } }]),
    ).not.toThrow();
    expect(
      fieldOf(() => validateDatasetInputs([{ dataset: { ...dataset, digest: 'x'.repeat(37) }, tags: {} }])),
    ).toBe('datasets[0].dataset.digest');
    expect(fieldOf(() => validateDatasetInputs([{ dataset: { ...dataset, name: '' }, tags: {} }]))).toBe(
      'datasets[0].dataset.name',
    );
  });
});

describe('validateArtifactLocation', () => {
  it.each([
    's3://bucket/prefix',
    'file:///data/mlruns',
    '/abs/dir',
    'mlflow-artifacts:/team-a',
    'gs://b/p?x=1',
  ])('accepts %s', (location) => {
    expect(validateArtifactLocation(location)).toBe(location);
  });

  it.each([
    'runs:/abc/model',
    's3://bucket/a#frag',
    'http://host/a;params',
    'file:///tmp?x=../../etc',
    'file:///tmp?x=%2e%2e%2fetc',
    'file:///tmp?x=%252e%252e%252fetc',
    'mlflow-artifacts:/../../etc',
    'mlflow-artifacts:/%2e%2e/secrets',
  ])('rejects %s naming artifact_location', (location) => {
    expect(fieldOf(() => validateArtifactLocation(location))).toBe('artifact_location');
  });
});
