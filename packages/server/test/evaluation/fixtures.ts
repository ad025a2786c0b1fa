/** Hand-made datasets and small models shared by the evaluation tests. */
import type { InputRow, LoadedModel, OutputRow } from '../../src/runtimes/runtime.js';

/** 60 rows: x in 0…9, a country, a binary label mostly x > 4 with a few flips. */
export function binaryRows(): InputRow[] {
  return Array.from({ length: 60 }, (_, i) => {
    const x = i % 10;
    const flip = i % 7 === 0;
    return { x, country: ['FR', 'DE', 'US'][i % 3], y: x > 4 !== flip ? 1 : 0 };
  });
}

/** A logistic-ish scorer on x: probability of class 1 grows with x. */
export function xProbability(x: number): number {
  return 1 / (1 + Math.exp(-(x - 4.5)));
}

/** A plain LoadedModel built from a per-row function, counting predict calls for batching checks. */
export function rowModel(f: (row: InputRow) => OutputRow): LoadedModel & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    predict: async (rows) => {
      calls.push(rows.length);
      return rows.map(f);
    },
    close: async () => {},
  };
}

/** The binary scorer: label at 0.5 plus a class → probability map. */
export function binaryScorer(): LoadedModel & { calls: number[] } {
  return rowModel((row) => {
    const p = xProbability(row.x as number);
    return { label: p >= 0.5 ? 1 : 0, probabilities: { '0': 1 - p, '1': p } };
  });
}

/** 45 rows of three string classes keyed on x, with some confusion. */
export function multiclassRows(): InputRow[] {
  return Array.from({ length: 45 }, (_, i) => {
    const x = i % 9;
    const base = x < 3 ? 'a' : x < 6 ? 'b' : 'c';
    const y = i % 8 === 0 ? 'a' : base;
    return { x, y };
  });
}

/** Probabilities over a, b, c (array in sorted label order) peaking at the class x suggests. */
export function multiclassProbabilities(x: number): number[] {
  const peak = x < 3 ? 0 : x < 6 ? 1 : 2;
  return [0, 1, 2].map((j) => (j === peak ? 0.6 : 0.2));
}

/** 40 rows: y = 2x + 1 plus a small deterministic wobble; some rows lack `segment`. */
export function regressionRows(): InputRow[] {
  return Array.from({ length: 40 }, (_, i) => {
    const x = i / 4;
    const row: Record<string, unknown> = { x, y: 2 * x + 1 + ((i % 5) - 2) * 0.3 };
    if (i % 6 !== 0) row.segment = i % 2 === 0 ? 'even' : 'odd';
    return row;
  });
}
