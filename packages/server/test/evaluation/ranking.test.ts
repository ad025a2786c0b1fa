import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { evaluateModels, judgeGate, type EvaluateOptions } from '../../src/evaluation/evaluate.js';
import { bootstrapCi, pairedBootstrap } from '../../src/stats/bootstrap.js';
import { rankingMetrics, type QueryMetrics } from '../../src/stats/ranking-metrics.js';
import { pairwiseSum } from '../../src/stats/regression-metrics.js';
import type { InputRow } from '../../src/runtimes/runtime.js';
import { rowModel } from './fixtures.js';

type MetricName = 'ndcg' | 'map' | 'mrr' | 'precision' | 'recall';
const METRICS: MetricName[] = ['ndcg', 'map', 'mrr', 'precision', 'recall'];

interface RankingFixture {
  name: string;
  queryIds: string[];
  relevance: number[];
  scores: number[];
  k: number | null;
  expected: Record<MetricName, number>;
}

const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/regression_ranking.json', import.meta.url), 'utf8'),
) as { ranking: RankingFixture[] };

function fixture(name: string): RankingFixture {
  const found = FIXTURES.ranking.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no fixture ${name}`);
  return found;
}

/** Relative 1e-12; an expected 0 must be matched exactly. */
function expectClose(actual: number | null | undefined, expected: number, label: string): void {
  const ok =
    typeof actual === 'number' &&
    (expected === 0 ? actual === 0 : Math.abs(actual - expected) <= 1e-12 * Math.abs(expected));
  expect(ok, `${label}: got ${String(actual)}, reference ${expected}`).toBe(true);
}

/** The fixture as rows: query id, relevance, row number, and a language constant within each query. */
function rowsOf(c: RankingFixture): InputRow[] {
  const order = [...new Set(c.queryIds)];
  return c.queryIds.map((q, i) => ({
    q,
    rel: c.relevance[i],
    i,
    lang: order.indexOf(q) % 3 === 0 ? 'fr' : 'en',
    half: i % 2 === 0 ? 'even' : 'odd',
  }));
}

/** The fixture's ranker: returns the fixture's score of the row. */
const fixtureRanker = (c: RankingFixture) => rowModel((r) => ({ score: c.scores[r.i as number] }));
/** A worse ranker: the fixture's score, with the sign of every third row flipped. */
const noisyScore = (c: RankingFixture, i: number): number => (c.scores[i] as number) * (i % 3 === 0 ? -1 : 1);
/** The constant-ish baseline: every row the same score (NDCG then averages over every order). */
const constantRanker = () => rowModel(() => ({ score: 0 }));

function options(c: RankingFixture, over: Partial<EvaluateOptions> = {}): EvaluateOptions {
  return {
    task: 'ranking',
    rows: rowsOf(c),
    labelColumn: 'rel',
    queryColumn: 'q',
    ...(c.k === null ? {} : { k: c.k }),
    models: [
      { id: 'ranker', model: fixtureRanker(c), role: 'candidate' },
      { id: 'noisy', model: rowModel((r) => ({ score: noisyScore(c, r.i as number) })), role: 'candidate' },
      { id: 'constant', model: constantRanker(), role: 'baseline' },
    ],
    ...over,
  };
}

describe('evaluateModels: ranking', () => {
  it.each(['graded-k5', 'graded-heavy-ties-k3', 'graded-no-cutoff'])(
    '%s: metrics match sklearn ndcg_score and the NumPy reference',
    async (name) => {
      const c = fixture(name);
      const report = await evaluateModels(options(c));
      const ranker = report.models[0];
      for (const m of METRICS) expectClose(ranker?.metrics[m], c.expected[m], `${name} ${m}`);
      expect(Object.keys(ranker?.metrics ?? {})).toEqual(METRICS);
      const reference = rankingMetrics(c, c.k === null ? {} : { k: c.k });
      expect(report.ranking).toEqual({
        queryColumn: 'q',
        k: c.k,
        queries: new Set(c.queryIds).size,
        queriesWithoutRelevant: reference.queriesWithoutRelevant,
      });
      expect(report.ranking?.queriesWithoutRelevant).toBeGreaterThan(0);
      expect(ranker).toMatchObject({ hasProbabilities: false, hasScores: true });
      expect(ranker?.details).toBeUndefined();
      // The other models agree with the stats functions on their own scores.
      const noisy = rankingMetrics(
        { ...c, scores: c.scores.map((_, i) => noisyScore(c, i)) },
        c.k === null ? {} : { k: c.k },
      );
      const constant = rankingMetrics(
        { ...c, scores: c.scores.map(() => 0) },
        c.k === null ? {} : { k: c.k },
      );
      for (const m of METRICS) {
        expect(report.models[1]?.metrics[m]).toBe(noisy[m]);
        expect(report.models[2]?.metrics[m]).toBe(constant[m]);
      }
      expect(ranker?.metrics.ndcg).toBeGreaterThan(report.models[2]?.metrics.ndcg as number);
    },
  );

  it('reads prediction when a model returns no score, and scoreField when named', async () => {
    const c = fixture('graded-k5');
    const viaPrediction = rowModel((r) => ({ prediction: c.scores[r.i as number] }));
    const viaField = rowModel((r) => ({ relevanceHat: c.scores[r.i as number], score: 0 }));
    const [a, b] = await Promise.all([
      evaluateModels(options(c, { models: [{ id: 'p', model: viaPrediction, role: 'candidate' }] })),
      evaluateModels(
        options(c, { scoreField: 'relevanceHat', models: [{ id: 'f', model: viaField, role: 'candidate' }] }),
      ),
    ]);
    for (const m of METRICS) {
      expectClose(a.models[0]?.metrics[m], c.expected[m], `prediction ${m}`);
      expectClose(b.models[0]?.metrics[m], c.expected[m], `scoreField ${m}`);
    }
  });

  it('scores slices per query on the slice’s rows (regrouped), and counts their queries', async () => {
    const c = fixture('graded-k5');
    const rows = rowsOf(c);
    const report = await evaluateModels(options(c, { slices: [{ column: 'lang' }, { column: 'half' }] }));
    const subset = (column: string, value: string) => {
      const keep = rows.flatMap((r, i) => (r[column] === value ? [i] : []));
      return rankingMetrics(
        {
          queryIds: keep.map((i) => c.queryIds[i] as string),
          relevance: keep.map((i) => c.relevance[i] as number),
          scores: keep.map((i) => c.scores[i] as number),
        },
        { k: 5 },
      );
    };
    for (const group of report.slices) {
      expect(group.slices.map((s) => s.label)).toEqual(
        group.column === 'lang' ? ['en', 'fr'] : ['even', 'odd'],
      );
      for (const s of group.slices) {
        const expected = subset(group.column, s.label);
        expect(s.queries).toBe(expected.queries);
        expect(s.rows).toBe(expected.perQuery.reduce((n, q) => n + q.rows, 0));
        for (const m of METRICS) expect(s.models.ranker?.[m]).toBe(expected[m]);
      }
    }
    // lang is constant within a query: its slices partition the queries. half splits every query.
    const [lang, half] = report.slices;
    expect(lang?.slices.reduce((n, s) => n + (s.queries ?? 0), 0)).toBe(20);
    expect(half?.slices.reduce((n, s) => n + (s.queries ?? 0), 0)).toBeGreaterThan(20);
  });

  it('bootstraps queries, not rows, with the same query resamples for every model', async () => {
    const c = fixture('graded-k5');
    const spec = { resamples: 300, seed: 11, confidence: 0.9, headline: 'ndcg' };
    const report = await evaluateModels(options(c, { bootstrap: spec }));
    const boot = report.bootstrap;
    expect(boot?.resampledQueries).toBe(20);
    expect(boot?.headline).toBe('ndcg');
    // Reference: bootstrap over the 20 queries of the mean of per-query NDCG, as stats/bootstrap.ts does it.
    const perQuery = (scores: number[]): Float64Array =>
      Float64Array.from(rankingMetrics({ ...c, scores }, { k: 5 }).perQuery, (q: QueryMetrics) => q.ndcg);
    const meanOver = (values: Float64Array) => (indices: Int32Array) =>
      pairwiseSum(Float64Array.from(indices, (i) => values[i] as number)) / indices.length;
    const ranker = meanOver(perQuery(c.scores));
    const constant = meanOver(perQuery(c.scores.map(() => 0)));
    const options_ = { resamples: 300, seed: 11, confidence: 0.9 };
    expect(boot?.models.ranker).toEqual(bootstrapCi(20, ranker, options_));
    expect(boot?.models.ranker?.estimate).toBe(report.models[0]?.metrics.ndcg);
    expect(boot?.models.constant).toEqual(bootstrapCi(20, constant, options_));
    const difference = boot?.differences.find((d) => d.candidate === 'ranker');
    const reference = pairedBootstrap(20, ranker, constant, options_);
    expect(difference?.baseline).toBe('constant');
    expect(difference?.lower).toBeCloseTo(reference.lower, 12);
    expect(difference?.upper).toBeCloseTo(reference.upper, 12);
    expect(difference?.shareAboveZero).toBe(reference.shareAboveZero);
    expect(boot?.differences).toHaveLength(2);
  });

  it('gates on ranking metrics like any other', async () => {
    const c = fixture('graded-k5');
    const report = await evaluateModels(
      options(c, { models: options(c).models.filter((m) => m.id !== 'noisy'), slices: [{ column: 'lang' }] }),
    );
    for (const metric of METRICS) {
      const verdict = judgeGate(
        { metric, direction: 'higher', margin: { kind: 'absolute', value: 0.05 } },
        report,
      );
      expect(verdict.passed, `${metric}: ${verdict.reasons.join('; ')}`).toBe(
        (report.models[0]?.metrics[metric] as number) - (report.models[1]?.metrics[metric] as number) >= 0.05,
      );
    }
    const verdict = judgeGate(
      { metric: 'ndcg', direction: 'higher', slices: { column: 'lang', minRows: 1, maxDegradation: 0 } },
      report,
    );
    expect(verdict.passed).toBe(true);
    expect(verdict.sliceChecks.map((s) => s.checked)).toEqual([true, true]);
  });
});

describe('evaluateModels: bad ranking input', () => {
  /** The INVALID_ARGUMENT error evaluation rejects with. */
  async function refusal(o: EvaluateOptions): Promise<SlipwayError> {
    const error: unknown = await evaluateModels(o).then(
      () => new Error('expected evaluateModels to reject'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return error as SlipwayError;
  }

  const c = fixture('graded-k5');
  const counted = () => rowModel((r) => ({ score: c.scores[r.i as number] }));
  const base = (over: Partial<EvaluateOptions> = {}) => {
    const model = counted();
    return { model, options: options(c, { models: [{ id: 'm', model, role: 'candidate' }], ...over }) };
  };

  it('refuses settings before any model runs', async () => {
    const cases: [Partial<EvaluateOptions>, string, RegExp][] = [
      [{ queryColumn: undefined }, 'queryColumn', /needs queryColumn/],
      [{ k: 0 }, 'k', /positive integer/],
      [{ k: 2.5 }, 'k', /positive integer/],
      [{ predictionField: 'prediction' }, 'predictionField', /scoreField/],
      [{ positiveLabel: 1 }, 'positiveLabel', /binary/],
      [
        { bootstrap: { resamples: 10, seed: 1, confidence: 0.9, headline: 'accuracy' } },
        'bootstrap.headline',
        /not a ranking metric/,
      ],
      [{ task: 'binary' }, 'queryColumn', /ranking task only, not binary/],
      [{ task: 'regression', queryColumn: undefined }, 'k', /ranking task only, not regression/],
    ];
    for (const [over, field, message] of cases) {
      const { model, options: o } = base(over);
      const error = await refusal(o);
      expect(error.details.field, JSON.stringify(over)).toBe(field);
      expect(error.message).toMatch(message);
      expect(model.calls).toEqual([]);
    }
  });

  it('names the row of a missing query id, a negative or NaN relevance, before predicting', async () => {
    const edit = (i: number, patch: Record<string, unknown>) =>
      rowsOf(c).map((r, j) => (j === i ? { ...r, ...patch } : r));
    const cases: [InputRow[], string, RegExp][] = [
      [edit(3, { q: undefined }), 'rows[3].q', /no value in query column 'q'/],
      [edit(4, { q: null }), 'rows[4].q', /no value in query column 'q'/],
      [edit(5, { q: true }), 'rows[5].q', /strings or finite numbers/],
      [edit(6, { rel: -1 }), 'rows[6].rel', /≥ 0/],
      [edit(7, { rel: Number.NaN }), 'rows[7].rel', /not a finite number/],
      [edit(8, { rel: 'high' }), 'rows[8].rel', /not a finite number/],
    ];
    for (const [rows, field, message] of cases) {
      const { model, options: o } = base({ rows });
      const error = await refusal(o);
      expect(error.details.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(model.calls).toEqual([]);
    }
  });

  it('names the model, field and row of a NaN or missing score', async () => {
    const nanAt9 = rowModel((r) => ({ score: r.i === 9 ? Number.NaN : c.scores[r.i as number] }));
    const error = await refusal(options(c, { models: [{ id: 'nan', model: nanAt9, role: 'candidate' }] }));
    expect(error.details.field).toBe('models.nan.score');
    expect(error.message).toContain('at row 9');
    const none = rowModel(() => ({ label: 1 }));
    const missing = await refusal(options(c, { models: [{ id: 'none', model: none, role: 'candidate' }] }));
    expect(missing.details.field).toBe('models.none.score');
    const named = await refusal(
      options(c, { scoreField: 's', models: [{ id: 'x', model: counted(), role: 'candidate' }] }),
    );
    expect(named.details.field).toBe('models.x.s');
  });
});
