/**
 * Ranking metrics over rows grouped by query id: NDCG@k exactly as `sklearn.metrics.ndcg_score`
 * (linear gain, log2 discount, tied scores averaged), plus MAP@k, MRR@k, precision@k and recall@k,
 * which sklearn lacks. Pure. Definitions, tie rules and empty-query rules: docs/metrics-regression-ranking.md.
 */
import { invalidArgument } from '@slipway/contracts';
import { pairwiseSum } from './regression-metrics.js';
import type { Numbers } from './regression-metrics.js';

/** A query id as it appears on a row. */
export type QueryId = string | number;

/** Rows to rank, column-wise: row i belongs to `queryIds[i]`, has label `relevance[i]` and model score `scores[i]`. */
export interface RankingInput {
  queryIds: ArrayLike<QueryId>;
  /** Graded (0, 1, 2, …) or binary labels, ≥ 0; the binary metrics count a row relevant when its label is > 0. */
  relevance: Numbers;
  scores: Numbers;
}

/** Options for `rankingMetrics`. */
export interface RankingOptions {
  /** Cutoff for every metric; omitted means each query's full list. */
  k?: number;
  /** Leave queries with no relevant row out of every average (default: they count as 0, like sklearn's NDCG). */
  skipQueriesWithoutRelevant?: boolean;
}

/** One query's rows, in input order. */
export interface QueryGroup {
  queryId: QueryId;
  relevance: Float64Array;
  scores: Float64Array;
}

/** Every ranking metric for one query. */
export interface QueryMetrics {
  queryId: QueryId;
  rows: number;
  relevantRows: number;
  ndcg: number;
  averagePrecision: number;
  reciprocalRank: number;
  precision: number;
  recall: number;
}

/** Means over queries, as `rankingMetrics` returns them. */
export interface RankingReport {
  k: number | null;
  /** Queries averaged over (after skipping, if asked). */
  queries: number;
  queriesWithoutRelevant: number;
  ndcg: number;
  map: number;
  mrr: number;
  precision: number;
  recall: number;
  perQuery: QueryMetrics[];
}

/** Splits rows into queries, ordered by each id's first appearance; rows of a query need not be adjacent. */
export function groupByQuery(input: RankingInput): QueryGroup[] {
  validateInput(input);
  const rowsById = new Map<QueryId, number[]>();
  for (let i = 0; i < input.queryIds.length; i++) {
    const id = input.queryIds[i] as QueryId;
    const rows = rowsById.get(id);
    if (rows === undefined) rowsById.set(id, [i]);
    else rows.push(i);
  }
  return Array.from(rowsById, ([queryId, rows]) => ({
    queryId,
    relevance: Float64Array.from(rows, (i) => input.relevance[i] as number),
    scores: Float64Array.from(rows, (i) => input.scores[i] as number),
  }));
}

/** Rejects ragged columns, non-finite values and negative labels (sklearn 1.4 rejects those for NDCG). */
function validateInput(input: RankingInput): void {
  const n = input.queryIds.length;
  if (input.relevance.length !== n || input.scores.length !== n) {
    throw invalidArgument('relevance', 'queryIds, relevance and scores must have equal lengths');
  }
  for (let i = 0; i < n; i++) {
    const r = input.relevance[i] as number;
    if (!(Number.isFinite(r) && r >= 0))
      throw invalidArgument('relevance', `row ${i}: label must be finite and ≥ 0`);
    if (!Number.isFinite(input.scores[i])) throw invalidArgument('scores', `row ${i}: score must be finite`);
  }
}

/** Throws unless `k` is absent or a positive integer. */
function validateK(k: number | undefined): void {
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) {
    throw invalidArgument('k', `k must be a positive integer, got ${k}`);
  }
}

/** sklearn's discount 1 / log2(rank + 1), written as it computes it so values agree to the last bit. */
function discount(position: number, k: number): number {
  return position < k ? 1 / (Math.log(position + 2) / Math.LN2) : 0;
}

/** Row indices by descending score; equal scores keep input order (what the tie-free metrics rank by). */
function rankByScore(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
}

/**
 * DCG with sklearn's tie averaging (McSherry & Najork 2008): a tied group gets its mean gain times the
 * sum of the discounts of the positions it spans, i.e. the DCG averaged over every order of the ties.
 */
function tieAveragedDcg(relevance: Float64Array, scores: Float64Array, k: number): number {
  const order = rankByScore(scores);
  const groupGains: number[] = [];
  let cumulative = 0;
  let previousCumulative = 0;
  let start = 0;
  while (start < order.length) {
    let end = start;
    let gain = 0;
    const score = scores[order[start] as number];
    while (end < order.length && scores[order[end] as number] === score) {
      gain += relevance[order[end] as number] as number;
      cumulative += discount(end, k);
      end++;
    }
    groupGains.push((gain / (end - start)) * (cumulative - previousCumulative));
    previousCumulative = cumulative;
    start = end;
  }
  return pairwiseSum(groupGains);
}

/** The best achievable DCG@k: labels sorted descending (ties among labels cannot change it). */
function idealDcg(relevance: Float64Array, k: number): number {
  const sorted = Float64Array.from(relevance).sort().reverse();
  let total = 0;
  for (let i = 0; i < sorted.length && i < k; i++) total += (sorted[i] as number) * discount(i, k);
  return total;
}

/** NDCG@k of one query, `ndcg_score([relevance], [scores], k=k)`; 0 when no row is relevant (sklearn's rule). */
export function ndcgAtK(relevance: Float64Array, scores: Float64Array, k?: number): number {
  validateK(k);
  const cutoff = k ?? relevance.length;
  const ideal = idealDcg(relevance, cutoff);
  return ideal === 0 ? 0 : tieAveragedDcg(relevance, scores, cutoff) / ideal;
}

/** Tie-free metrics of one query from its binary hits in ranked order. */
function binaryMetrics(
  relevance: Float64Array,
  scores: Float64Array,
  k: number | undefined,
): Pick<QueryMetrics, 'averagePrecision' | 'reciprocalRank' | 'precision' | 'recall' | 'relevantRows'> {
  const cutoff = k ?? relevance.length;
  const relevantRows = relevance.reduce((count, r) => count + (r > 0 ? 1 : 0), 0);
  const top = rankByScore(scores).slice(0, cutoff);
  let hits = 0;
  let precisionSum = 0;
  let reciprocalRank = 0;
  top.forEach((row, position) => {
    if (!((relevance[row] as number) > 0)) return;
    hits++;
    precisionSum += hits / (position + 1);
    if (reciprocalRank === 0) reciprocalRank = 1 / (position + 1);
  });
  const found = relevantRows > 0;
  return {
    relevantRows,
    precision: hits / cutoff,
    recall: found ? hits / relevantRows : 0,
    averagePrecision: found ? precisionSum / Math.min(cutoff, relevantRows) : 0,
    reciprocalRank,
  };
}

/** Every metric for one query. */
export function queryMetrics(group: QueryGroup, k?: number): QueryMetrics {
  validateK(k);
  return {
    queryId: group.queryId,
    rows: group.relevance.length,
    ndcg: ndcgAtK(group.relevance, group.scores, k),
    ...binaryMetrics(group.relevance, group.scores, k),
  };
}

/** Per-query metrics, then plain (unweighted) means over queries. */
export function rankingMetrics(input: RankingInput, options: RankingOptions = {}): RankingReport {
  validateK(options.k);
  const perQuery = groupByQuery(input).map((g) => queryMetrics(g, options.k));
  const withoutRelevant = perQuery.filter((q) => q.relevantRows === 0).length;
  const counted = options.skipQueriesWithoutRelevant ? perQuery.filter((q) => q.relevantRows > 0) : perQuery;
  // numpy.mean's order, so means over queries match the reference bit for bit when the per-query values do.
  const mean = (pick: (q: QueryMetrics) => number): number =>
    counted.length === 0 ? Number.NaN : pairwiseSum(counted.map(pick)) / counted.length;
  return {
    k: options.k ?? null,
    queries: counted.length,
    queriesWithoutRelevant: withoutRelevant,
    ndcg: mean((q) => q.ndcg),
    map: mean((q) => q.averagePrecision),
    mrr: mean((q) => q.reciprocalRank),
    precision: mean((q) => q.precision),
    recall: mean((q) => q.recall),
    perQuery,
  };
}
