/**
 * Scores several models on one labelled dataset: the task's metric set on the whole data and on
 * slices, plus bootstrap intervals of a headline metric and paired candidate − baseline differences.
 * Pure apart from calling the models; all input is validated before anything is returned, so a bad
 * dataset yields an error and never a partial report.
 */
import { THRESHOLD_OBJECTIVES, invalidArgument } from '@slipway/contracts';
import type { ResampleMetric } from '../stats/bootstrap.js';
import { pairwiseSum } from '../stats/regression-metrics.js';
import { bootstrapReport } from './intervals.js';
import { ClassIndex, sortedCodes } from './classes.js';
import type {
  BootstrapSpec,
  ClassValue,
  EvaluateOptions,
  EvaluationReport,
  ModelReport,
  RankingInfo,
  SliceGroupReport,
} from './evaluation-types.js';
import {
  ViewBuffers,
  computeMetrics,
  metricFunction,
  metricNeeds,
  rankingPerQuery,
  rankingReportOf,
  requireMetricName,
  subView,
  type MetricView,
  type RankingView,
} from './metrics.js';
import {
  DEFAULT_CALIBRATION_BINS,
  DEFAULT_THRESHOLD,
  DEFAULT_THRESHOLD_OBJECTIVE,
  modelDetails,
} from './model-details.js';
import {
  DEFAULT_BATCH_SIZE,
  classPredictions,
  classTruth,
  classesWithoutProbability,
  finishClassPredictions,
  numericPredictions,
  numericTruth,
  queryCodes,
  rankingScores,
  relevanceTruth,
  type RawClassPredictions,
} from './predictions.js';
import { checkSliceSpecs, sliceIndices } from './slices.js';

export type * from './evaluation-types.js';
export { judgeGate } from './gate.js';

/** Slices smaller than this are flagged unless the caller picks another floor. */
export const DEFAULT_MIN_SLICE_ROWS = 30;

/** One model's truth-and-predictions view plus its identity. */
interface Scored {
  id: string;
  role: 'candidate' | 'baseline';
  view: MetricView;
}

/** Evaluates every model on the rows; see docs/evaluation.md for the report and output conventions. */
export async function evaluateModels(options: EvaluateOptions): Promise<EvaluationReport> {
  checkOptions(options);
  const prepared =
    options.task === 'regression'
      ? await regressionViews(options)
      : options.task === 'ranking'
        ? await rankingViews(options)
        : await classificationViews(options);
  const minSliceRows = options.minSliceRows ?? DEFAULT_MIN_SLICE_ROWS;
  const report: EvaluationReport = {
    task: options.task,
    rows: options.rows.length,
    labelColumn: options.labelColumn,
    ...(prepared.classes === undefined ? {} : { classes: prepared.classes }),
    ...(prepared.positiveLabel === undefined ? {} : { positiveLabel: prepared.positiveLabel }),
    ...(prepared.ranking === undefined ? {} : { ranking: prepared.ranking }),
    minSliceRows,
    models: prepared.scored.map((s) => modelReport(options, s, prepared.classes)),
    slices: sliceReports(options, prepared, minSliceRows),
  };
  if (options.bootstrap !== undefined) {
    const spec = options.bootstrap;
    const headlines = prepared.scored.map((s) => ({
      ...s,
      metric: resampleMetric(options, s, spec.headline),
    }));
    // Ranking resamples queries, the independent unit: rows of one query are never split apart.
    const queries = prepared.ranking?.queries;
    report.bootstrap = bootstrapReport(queries ?? options.rows.length, spec, headlines);
    if (queries !== undefined) report.bootstrap.resampledQueries = queries;
  }
  return report;
}

/** Checks everything that does not need predictions, before any model runs. */
function checkOptions(options: EvaluateOptions): void {
  if (options.rows.length === 0) throw invalidArgument('rows', 'the dataset has no rows');
  if (options.models.length === 0) throw invalidArgument('models', 'no models to evaluate');
  const ids = new Set<string>();
  options.models.forEach((m, j) => {
    if (ids.has(m.id)) throw invalidArgument(`models[${j}].id`, `model id '${m.id}' is used twice`);
    ids.add(m.id);
  });
  if (options.slices !== undefined) checkSliceSpecs(options.slices, options.rows);
  const batch = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batch) || batch < 1) {
    throw invalidArgument('batchSize', 'batchSize must be a positive integer');
  }
  if (options.minSliceRows !== undefined && !(options.minSliceRows >= 0)) {
    throw invalidArgument('minSliceRows', 'minSliceRows must be a non-negative number');
  }
  if (options.bootstrap !== undefined) checkBootstrap(options.task, options.bootstrap);
  checkDetailSettings(options);
  checkRankingSettings(options);
}

/** `queryColumn` and `k` belong to ranking, which needs the former and has no use for class settings. */
function checkRankingSettings(options: EvaluateOptions): void {
  const { task, queryColumn, k } = options;
  if (task !== 'ranking') {
    if (queryColumn !== undefined) {
      throw invalidArgument('queryColumn', `queryColumn applies to the ranking task only, not ${task}`);
    }
    if (k !== undefined) throw invalidArgument('k', `k applies to the ranking task only, not ${task}`);
    return;
  }
  if (queryColumn === undefined || queryColumn === '') {
    throw invalidArgument('queryColumn', 'the ranking task needs queryColumn, the column of query ids');
  }
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) {
    throw invalidArgument('k', `k must be a positive integer, got ${String(k)}`);
  }
  if (options.predictionField !== undefined) {
    throw invalidArgument(
      'predictionField',
      'ranking reads the score rows are ranked by from scoreField (default score, else prediction), not predictionField',
    );
  }
  if (options.positiveLabel !== undefined) {
    throw invalidArgument('positiveLabel', 'positiveLabel applies to the binary task only, not ranking');
  }
}

/** The binary detail settings; checked for every task (a bad value is a mistake even where unused). */
function checkDetailSettings(options: EvaluateOptions): void {
  const { threshold, optimizeThresholdFor, calibrationBins } = options;
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    throw invalidArgument('threshold', `threshold must be a number in [0, 1], got ${String(threshold)}`);
  }
  if (optimizeThresholdFor !== undefined && !THRESHOLD_OBJECTIVES.includes(optimizeThresholdFor)) {
    throw invalidArgument(
      'optimizeThresholdFor',
      `optimizeThresholdFor must be one of ${THRESHOLD_OBJECTIVES.join(', ')}, got ${String(optimizeThresholdFor)}`,
    );
  }
  if (calibrationBins !== undefined && !(Number.isInteger(calibrationBins) && calibrationBins >= 1)) {
    throw invalidArgument(
      'calibrationBins',
      `calibrationBins must be a positive integer, got ${String(calibrationBins)}`,
    );
  }
}

/** Bad bootstrap settings are refused before any model runs, not after minutes of predicting. */
function checkBootstrap(task: EvaluateOptions['task'], spec: BootstrapSpec): void {
  requireMetricName(task, spec.headline, 'bootstrap.headline');
  if (!Number.isInteger(spec.resamples) || spec.resamples < 1) {
    throw invalidArgument(
      'bootstrap.resamples',
      `resamples must be a positive integer, got ${spec.resamples}`,
    );
  }
  if (!(spec.confidence > 0 && spec.confidence < 1)) {
    throw invalidArgument('bootstrap.confidence', `confidence must be in (0, 1), got ${spec.confidence}`);
  }
  if (!Number.isFinite(spec.seed)) throw invalidArgument('bootstrap.seed', 'seed must be a finite number');
}

/** Views of every model plus the class facts of classification tasks or the query facts of ranking. */
interface Prepared {
  scored: Scored[];
  classes?: ClassValue[];
  positiveLabel?: ClassValue;
  ranking?: RankingInfo;
}

/** Ranking: relevance, query codes (both checked before any model runs) and each model's scores. */
async function rankingViews(options: EvaluateOptions): Promise<Prepared> {
  const queryColumn = options.queryColumn as string;
  const relevance = relevanceTruth(options.rows, options.labelColumn);
  const queries = queryCodes(options.rows, queryColumn);
  const scored: Scored[] = [];
  for (const entry of options.models) {
    const { scores } = await rankingScores(
      entry,
      options.rows,
      options.scoreField,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
    );
    const view: RankingView = { kind: 'ranking', relevance, scores, queries: queries.codes, k: options.k };
    scored.push({ id: entry.id, role: entry.role, view });
  }
  // Relevance and grouping are the same for every model, so any model's report gives the counts.
  const first = rankingReportOf(scored[0]?.view as RankingView);
  const ranking: RankingInfo = {
    queryColumn,
    k: options.k ?? null,
    queries: queries.count,
    queriesWithoutRelevant: first.queriesWithoutRelevant,
  };
  return { scored, ranking };
}

/** Regression: truth and predictions as Float64Arrays. */
async function regressionViews(options: EvaluateOptions): Promise<Prepared> {
  const truth = numericTruth(options.rows, options.labelColumn);
  const field = options.predictionField ?? 'prediction';
  const scored: Scored[] = [];
  for (const entry of options.models) {
    const predictions = await numericPredictions(
      entry,
      options.rows,
      field,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
    );
    scored.push({ id: entry.id, role: entry.role, view: { kind: 'numeric', truth, predictions } });
  }
  return { scored };
}

/** Classification: labels and outputs coded once, then remapped to sorted class order. */
async function classificationViews(options: EvaluateOptions): Promise<Prepared> {
  const index = new ClassIndex();
  const rawTruth = classTruth(options.rows, options.labelColumn, index);
  const datasetClasses = sortedCodes(index).classes;
  const raws: RawClassPredictions[] = [];
  for (const entry of options.models) {
    const raw = await classPredictions(entry, options.rows, {
      labelField: options.predictionField ?? 'label',
      scoreField: options.scoreField ?? 'score',
      index,
      datasetClasses,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    });
    requireKnownLabels(options, entry.id, raw, rawTruth, index);
    raws.push(raw);
  }
  const { classes, remap } = sortedCodes(index);
  const positive = positiveCode(options, classes);
  const truth = rawTruth.map((c) => remap[c] as number);
  const scored = options.models.map((entry, j): Scored => {
    const predictions = finishClassPredictions(raws[j] as RawClassPredictions, remap, positive);
    return {
      id: entry.id,
      role: entry.role,
      view: { kind: 'class', truth, k: classes.length, positive: positive ?? -1, predictions },
    };
  });
  return { scored, classes, ...(positive === undefined ? {} : { positiveLabel: classes[positive] }) };
}

/** A label the model has no probability for would make log loss and AUC meaningless; name it. */
function requireKnownLabels(
  options: EvaluateOptions,
  model: string,
  raw: RawClassPredictions,
  truth: Int32Array,
  index: ClassIndex,
): void {
  const [first] = classesWithoutProbability(raw, truth);
  if (first === undefined) return;
  const [code, row] = first;
  throw invalidArgument(
    options.labelColumn,
    `label ${JSON.stringify(index.values[code])} (first at rows[${row}]) is not one of model '${model}''s probability classes`,
  );
}

/** Binary: the sorted code of the positive class (default the larger class); multiclass: none. */
function positiveCode(options: EvaluateOptions, classes: ClassValue[]): number | undefined {
  if (classes.length < 2) {
    throw invalidArgument(
      options.labelColumn,
      `classification needs at least two classes, found ${classes.length}`,
    );
  }
  if (options.task !== 'binary') return undefined;
  if (classes.length > 2) {
    throw invalidArgument(
      'task',
      `a binary task has two classes, found ${classes.length}: ${classes.join(', ')}`,
    );
  }
  if (options.positiveLabel === undefined) return 1;
  const code = classes.findIndex((c) => String(c) === String(options.positiveLabel));
  if (code < 0) {
    throw invalidArgument(
      'positiveLabel',
      `positiveLabel ${String(options.positiveLabel)} is not one of ${classes.join(', ')}`,
    );
  }
  return code;
}

/** Whole-dataset metrics of one model, plus a classifier's details. */
function modelReport(options: EvaluateOptions, s: Scored, classes: ClassValue[] | undefined): ModelReport {
  const classView = s.view.kind === 'class' ? s.view : undefined;
  return {
    id: s.id,
    role: s.role,
    hasProbabilities: classView?.predictions.probabilities !== undefined,
    hasScores: s.view.kind === 'ranking' || classView?.predictions.scores !== undefined,
    metrics: computeMetrics(options.task, s.view),
    ...(classView === undefined || classes === undefined
      ? {}
      : {
          details: modelDetails(options.task, classView, classes, {
            threshold: options.threshold ?? DEFAULT_THRESHOLD,
            objective: options.optimizeThresholdFor ?? DEFAULT_THRESHOLD_OBJECTIVE,
            calibrationBins: options.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
          }),
        }),
  };
}

/**
 * Every model's metrics on every slice. Ranking slices are regrouped: each query's rows within the
 * slice form that query there, so a query split across slices counts in each, on its part of the rows.
 */
function sliceReports(
  options: EvaluateOptions,
  prepared: Prepared,
  minSliceRows: number,
): SliceGroupReport[] {
  const { scored } = prepared;
  const queryCodesOf = prepared.ranking === undefined ? undefined : (scored[0]?.view as RankingView).queries;
  return (options.slices ?? []).map((spec, s) => ({
    column: spec.column,
    ...(spec.buckets === undefined ? {} : { buckets: [...spec.buckets] }),
    slices: sliceIndices(spec, options.rows, `slices[${s}]`).map(({ indices, ...key }) => ({
      ...key,
      rows: indices.length,
      ...(queryCodesOf === undefined ? {} : { queries: distinctQueries(queryCodesOf, indices) }),
      small: indices.length < minSliceRows,
      models: Object.fromEntries(
        scored.map((m) => [m.id, computeMetrics(options.task, subView(m.view, indices))]),
      ),
    })),
  }));
}

/** The number of distinct query codes among the rows at `indices`. */
function distinctQueries(codes: Int32Array, indices: Int32Array): number {
  const seen = new Set<number>();
  for (const i of indices) seen.add(codes[i] as number);
  return seen.size;
}

/**
 * A ranking headline over resampled queries: `indices` are query codes, and the statistic is the mean
 * of the model's per-query values over them (whole-dataset per-query values, computed once). On the
 * identity resample it equals the report's metric bit for bit (same values, same summation order).
 */
function rankingResampleMetric(s: Scored, headline: string): ResampleMetric {
  const pick = rankingPerQuery(headline);
  if (pick === undefined)
    throw invalidArgument('bootstrap.headline', `'${headline}' is not a ranking metric`);
  const values = Float64Array.from(rankingReportOf(s.view as RankingView).perQuery, pick);
  let buffer = new Float64Array(values.length);
  return (indices) => {
    if (buffer.length !== indices.length) buffer = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) buffer[i] = values[indices[i] as number] as number;
    return pairwiseSum(buffer) / indices.length;
  };
}

/**
 * The headline metric of one model as a resample metric; NaN where undefined so the bootstrap drops it.
 * Each resample copies only the outputs the metric reads, into arrays reused across resamples.
 */
function resampleMetric(options: EvaluateOptions, s: Scored, headline: string): ResampleMetric {
  if (s.view.kind === 'ranking') return rankingResampleMetric(s, headline);
  const fn = metricFunction(options.task, headline, s.view);
  if (fn === undefined) {
    throw invalidArgument(
      'bootstrap.headline',
      `model '${s.id}' has no outputs for ${headline} (no probabilities or scores)`,
    );
  }
  const needs = metricNeeds(options.task, headline);
  const buffers = new ViewBuffers();
  return (indices) => fn(subView(s.view, indices, needs, buffers)) ?? Number.NaN;
}
