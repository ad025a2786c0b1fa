import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { groupByQuery, ndcgAtK, queryMetrics, rankingMetrics } from '../../src/stats/ranking-metrics.js';
import type { QueryMetrics } from '../../src/stats/ranking-metrics.js';

type MetricName = 'ndcg' | 'map' | 'mrr' | 'precision' | 'recall';

interface RankingFixture {
  name: string;
  queryIds: string[];
  relevance: number[];
  scores: number[];
  k: number | null;
  expected: Record<MetricName, number>;
  perQuery: Record<MetricName, number[]>;
}

const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/regression_ranking.json', import.meta.url), 'utf8'),
) as { ranking: RankingFixture[] };

const PER_QUERY: Record<MetricName, (q: QueryMetrics) => number> = {
  ndcg: (q) => q.ndcg,
  map: (q) => q.averagePrecision,
  mrr: (q) => q.reciprocalRank,
  precision: (q) => q.precision,
  recall: (q) => q.recall,
};

/** Relative 1e-12; an expected 0 must be matched exactly. */
function expectClose(actual: number, expected: number, label: string): void {
  const ok = expected === 0 ? actual === 0 : Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
  expect(ok, `${label}: got ${actual}, reference ${expected}`).toBe(true);
}

const f64 = (values: number[]): Float64Array => Float64Array.from(values);

describe('ranking metrics against sklearn.metrics.ndcg_score and the NumPy reference', () => {
  describe.each(FIXTURES.ranking)('$name (k=$k)', (c) => {
    const report = rankingMetrics(c, c.k === null ? {} : { k: c.k });

    it.each(Object.keys(PER_QUERY) as MetricName[])('%s: mean over queries and every query', (metric) => {
      expectClose(report[metric], c.expected[metric], `${c.name} ${metric}`);
      expect(report.perQuery).toHaveLength(c.perQuery[metric].length);
      report.perQuery.forEach((q, i) =>
        expectClose(
          PER_QUERY[metric](q),
          c.perQuery[metric][i] as number,
          `${c.name} ${metric} ${q.queryId}`,
        ),
      );
    });

    it('counts every query, including those without a relevant row', () => {
      expect(report.queries).toBe(new Set(c.queryIds).size);
      expect(report.queriesWithoutRelevant).toBeGreaterThan(0);
      expect(report.k).toBe(c.k);
    });
  });
});

describe('ranking definitions on hand-checked cases', () => {
  it('averages tied scores over every order of the tie (sklearn ignore_ties=False)', () => {
    // Both orders of the tie: DCG 1 or 1/log2(3); sklearn reports their mean over the ideal DCG of 1.
    expect(ndcgAtK(f64([1, 0]), f64([0.5, 0.5]))).toBe(0.5 * (1 + 1 / Math.log2(3)));
    expect(ndcgAtK(f64([1, 0]), f64([0.5, 0.5]), 1)).toBe(0.5);
  });

  it('scores a query with no relevant row 0 for NDCG, like sklearn, and for every other metric', () => {
    const m = queryMetrics({ queryId: 'q', relevance: f64([0, 0]), scores: f64([1, 2]) });
    expect(m).toMatchObject({ ndcg: 0, averagePrecision: 0, reciprocalRank: 0, precision: 0, recall: 0 });
  });

  it('can leave queries without relevant rows out of the averages', () => {
    const input = { queryIds: ['a', 'a', 'b', 'b'], relevance: [1, 0, 0, 0], scores: [2, 1, 2, 1] };
    expect(rankingMetrics(input)).toMatchObject({
      queries: 2,
      queriesWithoutRelevant: 1,
      ndcg: 0.5,
      mrr: 0.5,
    });
    expect(rankingMetrics(input, { skipQueriesWithoutRelevant: true })).toMatchObject({
      queries: 1,
      queriesWithoutRelevant: 1,
      ndcg: 1,
      mrr: 1,
    });
    const none = rankingMetrics(
      { queryIds: [1], relevance: [0], scores: [0] },
      { skipQueriesWithoutRelevant: true },
    );
    expect(none.queries).toBe(0);
    expect(none.ndcg).toBeNaN();
  });

  it('handles one-row queries, which sklearn refuses', () => {
    expect(ndcgAtK(f64([2]), f64([0.3]))).toBe(1);
    expect(ndcgAtK(f64([0]), f64([0.3]))).toBe(0);
  });

  it('divides precision@k by k even when the query is shorter, and AP@k by min(k, relevant)', () => {
    const m = queryMetrics({ queryId: 1, relevance: f64([1, 0, 1]), scores: f64([3, 2, 1]) }, 10);
    expect(m.precision).toBe(2 / 10);
    expect(m.recall).toBe(1);
    expect(m.averagePrecision).toBe((1 + 2 / 3) / 2);
    expect(m.reciprocalRank).toBe(1);
  });

  it('breaks score ties by input order for the binary metrics and cuts MRR at k', () => {
    const tied = { queryId: 1, relevance: f64([0, 1]), scores: f64([5, 5]) };
    expect(queryMetrics(tied).reciprocalRank).toBe(0.5);
    expect(queryMetrics(tied, 1).reciprocalRank).toBe(0);
  });

  it('groups interleaved rows by first appearance of the query id', () => {
    const groups = groupByQuery({ queryIds: [7, 'x', 7], relevance: [1, 2, 3], scores: [0.1, 0.2, 0.3] });
    expect(groups.map((g) => [g.queryId, Array.from(g.relevance)])).toEqual([
      [7, [1, 3]],
      ['x', [2]],
    ]);
  });

  it.each([
    ['k = 0', () => rankingMetrics({ queryIds: [1], relevance: [1], scores: [1] }, { k: 0 })],
    ['fractional k', () => ndcgAtK(f64([1]), f64([1]), 1.5)],
    ['negative relevance', () => rankingMetrics({ queryIds: [1], relevance: [-1], scores: [1] })],
    ['NaN score', () => rankingMetrics({ queryIds: [1], relevance: [1], scores: [Number.NaN] })],
    ['ragged columns', () => rankingMetrics({ queryIds: [1, 1], relevance: [1], scores: [1, 2] })],
  ])('rejects %s with INVALID_ARGUMENT', (_name, call) => {
    expect(call).toThrow(SlipwayError);
  });
});
