/**
 * The demo's pure parts: the seeded loan generator (deterministic, with the cycles and rates it
 * claims), the timeline built on it, logistic regression by gradient descent, and its ONNX export,
 * run in ONNX Runtime and compared with the TypeScript model.
 */
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  CREDIT_FEATURES,
  DAY_MS,
  generateApplications,
  withUnitBug,
  type Application,
} from '../../src/demo/credit-data.js';
import { BUG_FROM_DAY, REPLAY_DAYS, demoPlan, labelledCsv, matrixOf } from '../../src/demo/demo-plan.js';
import { logisticOnnx } from '../../src/demo/logistic-onnx.js';
import { accuracy, logLoss, predictProbability, trainLogistic } from '../../src/demo/logistic-regression.js';

const MONDAY = Date.UTC(2026, 0, 5);
const weeks = generateApplications({ seed: 3, start: MONDAY, days: 28, weekdayVolume: 200 });
const plan = demoPlan(42);

function perDay(applications: readonly Application[]): number[] {
  const counts = new Array<number>(28).fill(0);
  for (const a of applications) {
    const day = Math.floor((a.appliedAt - MONDAY) / DAY_MS);
    counts[day] = (counts[day] ?? 0) + 1;
  }
  return counts;
}

describe('generateApplications', () => {
  it('gives the same applications for the same seed and others for another', () => {
    const again = generateApplications({ seed: 3, start: MONDAY, days: 28, weekdayVolume: 200 });
    expect(again).toEqual(weeks);
    const other = generateApplications({ seed: 4, start: MONDAY, days: 28, weekdayVolume: 200 });
    expect(other.map((a) => a.features)).not.toEqual(weeks.slice(0, other.length).map((a) => a.features));
  });

  it('has quieter weekends and holidays, quiet nights, and a default rate of a subprime lender', () => {
    const days = perDay(weeks);
    const weekday = days.filter((_, d) => d % 7 < 5 && d !== 14);
    const sundays = days.filter((_, d) => d % 7 === 6);
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(sundays)).toBeLessThan(mean(weekday) * 0.5);
    // 2026-01-19 (day 14) is a public holiday.
    expect(days[14]).toBeLessThan(mean(weekday) * 0.4);
    const hours = weeks.map((a) => new Date(a.appliedAt).getUTCHours());
    expect(hours.filter((h) => h >= 1 && h < 5).length).toBeLessThan(weeks.length * 0.02);
    const rate = weeks.reduce((s, a) => s + a.defaulted, 0) / weeks.length;
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.35);
    // Ids are unique and in time order.
    expect(new Set(weeks.map((a) => a.id)).size).toBe(weeks.length);
    expect([...weeks].sort((a, b) => a.appliedAt - b.appliedAt).map((a) => a.id)).toEqual(
      weeks.map((a) => a.id),
    );
  });

  it('defaults more often with late payments and high utilization', () => {
    const rate = (keep: (a: Application) => boolean): number => {
      const some = weeks.filter(keep);
      return some.reduce((s, a) => s + a.defaulted, 0) / some.length;
    };
    expect(rate((a) => a.features.late_payments >= 3)).toBeGreaterThan(
      rate((a) => a.features.late_payments === 0) + 0.2,
    );
    expect(rate((a) => a.features.utilization > 0.7)).toBeGreaterThan(
      rate((a) => a.features.utilization < 0.3),
    );
  });

  it('has a unit bug that changes income and utilization only', () => {
    const f = weeks[0]?.features;
    if (f === undefined) throw new Error('no applications');
    const bugged = withUnitBug(f);
    expect(bugged.income).toBeCloseTo(f.income * 1000, 6);
    expect(bugged.utilization).toBeCloseTo(f.utilization * 100, 6);
    const unchanged = CREDIT_FEATURES.filter((c) => c !== 'income' && c !== 'utilization');
    expect(unchanged.map((c) => bugged[c])).toEqual(unchanged.map((c) => f[c]));
  });
});

describe('demoPlan', () => {
  it('splits history by time and replays four weeks with the bug from day 8', () => {
    const last = (xs: Application[]): number => xs[xs.length - 1]?.appliedAt ?? 0;
    expect(last(plan.train)).toBeLessThanOrEqual(plan.validation[0]?.appliedAt ?? 0);
    expect(last(plan.validation)).toBeLessThanOrEqual(plan.holdout[0]?.appliedAt ?? 0);
    expect(new Set(plan.blocks.map((b) => b.day))).toEqual(
      new Set(Array.from({ length: REPLAY_DAYS }, (_, i) => i + 1)),
    );
    for (const block of plan.blocks) {
      const expected = block.applications.map((a) =>
        block.day >= BUG_FROM_DAY ? withUnitBug(a.features) : a.features,
      );
      expect(block.rows).toEqual(expected);
    }
    expect(demoPlan(42)).toEqual(plan);
  });

  it('writes labelled CSV with a header and one line per application', () => {
    const csv = labelledCsv(plan.holdout.slice(0, 2)).trimEnd().split('\n');
    expect(csv[0]).toBe([...CREDIT_FEATURES, 'defaulted'].join(','));
    expect(csv).toHaveLength(3);
    expect(csv[1]?.split(',').map(Number)).toEqual([
      ...CREDIT_FEATURES.map((c) => plan.holdout[0]?.features[c]),
      plan.holdout[0]?.defaulted,
    ]);
  });
});

describe('logistic regression and its ONNX export', () => {
  const train = matrixOf(plan.train);
  const validation = matrixOf(plan.validation);
  const losses: number[] = [];
  const model = trainLogistic(train, validation, { learningRate: 0.5, epochs: 60, l2: 0.001 }, (e) =>
    losses.push(e.trainLoss),
  );

  it('lowers the training loss and beats predicting the majority class', () => {
    expect(losses).toHaveLength(60);
    expect(losses[59]).toBeLessThan((losses[0] ?? 0) - 0.02);
    const majority = validation.y.filter((y) => y === 0).length / validation.y.length;
    expect(accuracy(model, validation)).toBeGreaterThan(majority + 0.03);
    expect(logLoss(model, validation)).toBeLessThan(0.5);
  });

  it('runs in ONNX Runtime with the probabilities and labels of the TypeScript model', async () => {
    const session = await InferenceSession.create(logisticOnnx(model));
    const rows = validation.x.slice(0, 200);
    const x = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, CREDIT_FEATURES.length]);
    const out = await session.run({ x });
    const probabilities = out['probabilities']?.data as Float32Array;
    const labels = out['label']?.data as BigInt64Array;
    rows.forEach((row, i) => {
      const p = predictProbability(model, row);
      expect(probabilities[2 * i + 1]).toBeCloseTo(p, 4);
      expect(probabilities[2 * i]! + probabilities[2 * i + 1]!).toBeCloseTo(1, 6);
      if (Math.abs(p - 0.5) > 1e-4) expect(Number(labels[i])).toBe(p >= 0.5 ? 1 : 0);
    });
    await session.release();
  });
});
