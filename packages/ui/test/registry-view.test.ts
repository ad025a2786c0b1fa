import { describe, expect, it } from 'vitest';
import type { Evaluation, RegisteredModel, RegistryEvent } from '@slipway/contracts';
import {
  describeConstraint,
  describeEvent,
  describeMargin,
  formatDifference,
  formatShape,
  latestVersion,
  metricTable,
} from '../src/registry/registry-view.js';

const event = (change: Partial<RegistryEvent>): RegistryEvent => ({
  seq: 1,
  type: 'alias.set',
  time: 0,
  actor: 'ana',
  modelName: 'churn',
  ...change,
});

/** An evaluation of one candidate against one baseline; only what metricTable reads is realistic. */
function evaluation(): Evaluation {
  return {
    id: 'e1',
    createdAt: 0,
    createdBy: 'ana',
    settings: { task: 'binary', labelColumn: 'y' },
    dataset: { rows: 10, digest: 'sha256:0' },
    models: [
      { id: 'base/1', name: 'base', version: '1', role: 'baseline' },
      { id: 'churn/2', name: 'churn', version: '2', role: 'candidate' },
    ],
    gate: { metric: 'recall', direction: 'higher' },
    report: {
      task: 'binary',
      rows: 10,
      labelColumn: 'y',
      minSliceRows: 0,
      slices: [],
      models: [
        {
          id: 'base/1',
          role: 'baseline',
          hasProbabilities: true,
          hasScores: true,
          metrics: { accuracy: 0.5, recall: 0, rocAuc: 0.5 },
        },
        {
          id: 'churn/2',
          role: 'candidate',
          hasProbabilities: false,
          hasScores: false,
          metrics: { accuracy: 0.75, recall: null },
        },
      ],
    },
  };
}

describe('registry views', () => {
  it('takes the highest version number as the latest, numerically', () => {
    const model = {
      latestVersions: [{ version: '9' }, { version: '10' }, { version: '2' }],
    } as RegisteredModel;
    expect(latestVersion(model)).toBe('10');
    expect(latestVersion({ latestVersions: [] } as unknown as RegisteredModel)).toBeUndefined();
  });

  it('lays candidates before baselines, the gated metric first, with differences only where both are numbers', () => {
    const table = metricTable(evaluation());
    expect(table.columns.map((c) => c.id)).toEqual(['churn/2', 'base/1']);
    expect(table.baseline?.id).toBe('base/1');
    expect(table.rows.map((r) => r.metric)).toEqual(['recall', 'accuracy', 'rocAuc']);
    const [recall, accuracy, rocAuc] = table.rows;
    expect(recall).toEqual({
      metric: 'recall',
      values: [null, 0],
      differences: [undefined, undefined],
      gated: true,
    });
    expect(accuracy?.differences).toEqual([0.25, undefined]);
    expect(rocAuc?.values).toEqual([undefined, 0.5]);
  });

  it('tells set, moved, gated and removed aliases apart', () => {
    expect(describeEvent(event({ alias: 'champion', toVersion: '1' }))).toEqual({
      kind: 'alias',
      title: 'champion set to v1',
      evaluationId: undefined,
      gate: undefined,
    });
    const gated = event({
      alias: 'champion',
      fromVersion: '1',
      toVersion: '2',
      gate: { passed: true, evaluationId: 'e1' },
    });
    expect(describeEvent(gated)).toEqual({
      kind: 'promotion',
      title: 'champion moved from v1 to v2',
      evaluationId: 'e1',
      gate: 'passed',
    });
    expect(
      describeEvent(event({ alias: 'champion', fromVersion: '1', toVersion: '2', gate: { passed: false } }))
        .gate,
    ).toBe('overridden');
    expect(describeEvent(event({ type: 'alias.deleted', alias: 'challenger', fromVersion: '3' })).title).toBe(
      'challenger removed (was v3)',
    );
    expect(describeEvent(event({ type: 'model_version.created', version: '4' })).title).toBe(
      'Version 4 registered',
    );
  });

  it('writes margins, differences, constraints and shapes briefly', () => {
    expect(describeMargin({ kind: 'absolute', value: 0.02 })).toBe('+0.02 absolute');
    expect(describeMargin({ kind: 'relative', value: 0.05 })).toBe('+5% of the baseline');
    expect(formatDifference(0.12)).toBe('+0.12');
    expect(formatDifference(-0.5)).toBe('−0.5');
    expect(formatDifference(null)).toBe('');
    expect(describeConstraint({ name: 'a', type: 'int64', nullable: false, range: { min: 0, max: 5 } })).toBe(
      '0 to 5',
    );
    expect(describeConstraint({ name: 'a', type: 'string', nullable: false, categories: ['x', 'y'] })).toBe(
      'one of x, y',
    );
    expect(describeConstraint({ name: 'a', type: 'float64', nullable: true })).toBe('');
    expect(formatShape([-1, 2])).toBe('[?, 2]');
    expect(formatShape(undefined)).toBe('');
  });
});
