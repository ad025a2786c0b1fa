import { describe, expect, it } from 'vitest';
import type { GateResult, SlipwayError } from '@slipway/contracts';
import {
  evaluateModels,
  judgeGate,
  type EvaluationReport,
  type GateSpec,
} from '../../src/evaluation/evaluate.js';
import { loadRulesBaseline } from '../../src/runtimes/baseline/rules-baseline.js';
import { binaryRows, binaryScorer } from './fixtures.js';

/** A report with one candidate and one baseline, and slices on `region` as [label, rows, candidate, baseline]. */
function report(
  candidate: number,
  baseline: number,
  slices: [string, number, number, number][] = [],
): EvaluationReport {
  return {
    task: 'binary',
    rows: 1000,
    labelColumn: 'y',
    minSliceRows: 30,
    models: [
      {
        id: 'new',
        role: 'candidate',
        hasProbabilities: true,
        hasScores: true,
        metrics: { rocAuc: candidate, logLoss: candidate },
      },
      {
        id: 'base',
        role: 'baseline',
        hasProbabilities: true,
        hasScores: true,
        metrics: { rocAuc: baseline, logLoss: baseline },
      },
    ],
    slices: [
      {
        column: 'region',
        slices: slices.map(([label, rows, c, b]) => ({
          label,
          value: label,
          rows,
          small: rows < 30,
          models: { new: { rocAuc: c, logLoss: c }, base: { rocAuc: b, logLoss: b } },
        })),
      },
    ],
  };
}

const auc: GateSpec = { metric: 'rocAuc', direction: 'higher' };

describe('judgeGate', () => {
  const table: [string, GateSpec, EvaluationReport, boolean][] = [
    [
      'passes threshold and margin',
      { ...auc, threshold: 0.7, margin: { kind: 'absolute', value: 0.02 } },
      report(0.8, 0.75),
      true,
    ],
    [
      'passes a margin met exactly despite float noise',
      { ...auc, margin: { kind: 'absolute', value: 0.2 } },
      report(0.3, 0.1),
      true,
    ],
    ['fails the threshold', { ...auc, threshold: 0.85 }, report(0.8, 0.75), false],
    [
      'fails an absolute margin',
      { ...auc, margin: { kind: 'absolute', value: 0.1 } },
      report(0.8, 0.75),
      false,
    ],
    [
      'passes a relative margin',
      { ...auc, margin: { kind: 'relative', value: 0.05 } },
      report(0.8, 0.75),
      true,
    ],
    [
      'fails a relative margin',
      { ...auc, margin: { kind: 'relative', value: 0.1 } },
      report(0.8, 0.75),
      false,
    ],
    ['fails when worse than the baseline without a margin', auc, report(0.7, 0.75), false],
    [
      'lower is better: passes',
      { metric: 'logLoss', direction: 'lower', threshold: 0.5, margin: { kind: 'absolute', value: 0.05 } },
      report(0.4, 0.5),
      true,
    ],
    [
      'lower is better: fails the threshold',
      { metric: 'logLoss', direction: 'lower', threshold: 0.3 },
      report(0.4, 0.5),
      false,
    ],
    [
      'lower is better: fails the margin',
      { metric: 'logLoss', direction: 'lower', margin: { kind: 'relative', value: 0.3 } },
      report(0.4, 0.5),
      false,
    ],
    [
      'fails on a degraded large slice',
      { ...auc, slices: { column: 'region', minRows: 50, maxDegradation: 0.02 } },
      report(0.8, 0.75, [
        ['eu', 400, 0.82, 0.76],
        ['us', 100, 0.7, 0.75],
      ]),
      false,
    ],
    [
      'ignores a degraded small slice',
      { ...auc, slices: { column: 'region', minRows: 50, maxDegradation: 0.02 } },
      report(0.8, 0.75, [
        ['eu', 400, 0.82, 0.76],
        ['tiny', 10, 0.4, 0.9],
      ]),
      true,
    ],
  ];

  it.each(table)('%s', (_name, gate, r, passed) => {
    const verdict = judgeGate(gate, r);
    expect(verdict.passed).toBe(passed);
    expect(verdict.reasons.some((line) => line.startsWith('fail'))).toBe(!passed);
  });

  it('carries every number behind the verdict', () => {
    const gate: GateSpec = {
      ...auc,
      threshold: 0.7,
      margin: { kind: 'relative', value: 0.1 },
      slices: { column: 'region', minRows: 50, maxDegradation: 0.02 },
    };
    const verdict = judgeGate(
      gate,
      report(0.8, 0.75, [
        ['us', 100, 0.7, 0.75],
        ['tiny', 10, 0.4, 0.9],
      ]),
    );
    expect(verdict).toMatchObject({
      passed: false,
      candidate: { id: 'new', value: 0.8 },
      baseline: { id: 'base', value: 0.75 },
      threshold: 0.7,
      margin: { kind: 'relative', value: 0.1 },
      differenceCi: null,
    });
    expect(verdict.difference).toBeCloseTo(0.05, 12);
    expect(verdict.required).toBeCloseTo(0.825, 12);
    expect(verdict.sliceChecks).toEqual([
      {
        column: 'region',
        slice: 'us',
        rows: 100,
        candidate: 0.7,
        baseline: 0.75,
        degradation: expect.closeTo(0.05, 12),
        checked: true,
        passed: false,
      },
      {
        column: 'region',
        slice: 'tiny',
        rows: 10,
        candidate: 0.4,
        baseline: 0.9,
        degradation: 0.5,
        checked: false,
        passed: true,
      },
    ]);
    expect(verdict.reasons.join('\n')).toContain('region=us (100 rows)');
    const recorded: GateResult = verdict;
    expect(JSON.parse(JSON.stringify(recorded))).toEqual(recorded);
  });

  it('refuses gates it cannot judge', () => {
    const field = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return (error as SlipwayError).details.field;
      }
      return undefined;
    };
    expect(field(() => judgeGate({ ...auc, metric: 'nope' }, report(0.8, 0.7)))).toBe('gate.metric');
    expect(
      field(() =>
        judgeGate({ ...auc, slices: { column: 'x', minRows: 1, maxDegradation: 0 } }, report(0.8, 0.7)),
      ),
    ).toBe('gate.slices.column');
    expect(field(() => judgeGate(auc, report(0.8, 0.7), { candidate: 'ghost' }))).toBe('gate.candidate');
  });

  it('carries the paired-bootstrap CI from a real evaluation', async () => {
    const rules = loadRulesBaseline({
      kind: 'rules',
      output: 'label',
      rules: [{ when: 'x > 6', then: 1 }],
      default: 0,
    });
    const evaluated = await evaluateModels({
      task: 'binary',
      rows: binaryRows(),
      labelColumn: 'y',
      models: [
        { id: 'scorer', model: binaryScorer(), role: 'candidate' },
        { id: 'rules', model: rules, role: 'baseline' },
      ],
      slices: [{ column: 'country' }],
      bootstrap: { resamples: 100, seed: 3, confidence: 0.95, headline: 'accuracy' },
    });
    const verdict = judgeGate(
      {
        metric: 'accuracy',
        direction: 'higher',
        slices: { column: 'country', minRows: 10, maxDegradation: 0.5 },
      },
      evaluated,
    );
    const { candidate: _c, baseline: _b, ...ci } = evaluated.bootstrap?.differences[0] ?? {};
    expect(verdict.differenceCi).toEqual(ci);
    expect(verdict.sliceChecks.map((s) => [s.slice, s.rows, s.checked])).toEqual([
      ['DE', 20, true],
      ['FR', 20, true],
      ['US', 20, true],
    ]);
  });
});
