/**
 * Evaluation reports and promotion gates as plain JSON: what an evaluation measured, and the gate
 * verdict judged on it. The schemas are the single definition (types are derived from them) so the
 * server stores and serves reports, the OpenAPI document describes them, and the SDK reads them
 * without any of the three drifting.
 */
import Type, { type Static } from 'typebox';

/** What kind of target a label column holds. */
export const EVALUATION_TASKS = ['binary', 'multiclass', 'regression', 'ranking'] as const;

/** What kind of target a label column holds. */
export type EvaluationTask = (typeof EVALUATION_TASKS)[number];

/** Schema of an evaluation task. */
export const EvaluationTaskSchema = Type.Enum(EVALUATION_TASKS, {
  description:
    'binary or multiclass classification, regression, or ranking (rows grouped by query id, graded relevance labels).',
});

/** Schema of a class label as it appears in a label column or a model's output. */
export const ClassValueSchema = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
/** A class label as it appears in the label column or a model's output. */
export type ClassValue = Static<typeof ClassValueSchema>;

/** Schema of one slicing of the rows. */
export const SliceSpecSchema = Type.Object(
  {
    column: Type.String({ minLength: 1 }),
    buckets: Type.Optional(
      Type.Array(Type.Number(), {
        description: 'Ascending finite edges e1 < … < em; buckets are (−∞, e1), [e1, e2), …, [em, +∞).',
      }),
    ),
  },
  { additionalProperties: false },
);
/** One slicing of the rows: by each distinct value of `column`, or by numeric bucket edges. */
export type SliceSpec = Static<typeof SliceSpecSchema>;

/** Schema of bootstrap settings. */
export const BootstrapSpecSchema = Type.Object(
  {
    resamples: Type.Integer({ minimum: 1 }),
    seed: Type.Number(),
    confidence: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    headline: Type.String({ minLength: 1, description: 'The metric that gets confidence intervals.' }),
  },
  { additionalProperties: false },
);
/** Bootstrap settings: the headline metric gets a CI per model and a paired CI per candidate−baseline pair. */
export type BootstrapSpec = Static<typeof BootstrapSpecSchema>;

/** Schema of a margin over the baseline. */
export const MarginSchema = Type.Object(
  {
    kind: Type.Enum(['absolute', 'relative']),
    value: Type.Number({ minimum: 0, description: 'relative: a share of |baseline|, e.g. 0.02 = 2%.' }),
  },
  { additionalProperties: false },
);

/** Schema of a promotion gate. */
export const GateSpecSchema = Type.Object(
  {
    metric: Type.String({ minLength: 1 }),
    direction: Type.Enum(['higher', 'lower'], {
      description: 'Whether higher values of the metric are better.',
    }),
    threshold: Type.Optional(
      Type.Number({ description: 'An absolute floor (or ceiling) for the candidate.' }),
    ),
    margin: Type.Optional(MarginSchema),
    slices: Type.Optional(
      Type.Object(
        {
          column: Type.String({ minLength: 1 }),
          minRows: Type.Integer({ minimum: 0, description: 'Smaller slices cannot fail the gate.' }),
          maxDegradation: Type.Number({
            minimum: 0,
            description: 'How much worse than the baseline a checked slice may be.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
/** A promotion gate: the candidate must clear `threshold`, beat the baseline by `margin`, and not regress on slices. */
export type GateSpec = Static<typeof GateSpecSchema>;

/** Schema of metric name → value; null = undefined on these rows. */
export const MetricValuesSchema = Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), {
  description:
    "A missing name means the model's outputs cannot give it (no probabilities); null means it is " +
    'undefined on these rows (e.g. ROC AUC of a single-class slice).',
});
/** Metric name → value (null: undefined on these rows; missing: the outputs cannot give it). */
export type MetricValues = Static<typeof MetricValuesSchema>;

const confidenceFields = {
  estimate: Type.Number({ description: 'The metric on the original rows, not the mean of the resamples.' }),
  lower: Type.Number(),
  upper: Type.Number(),
  confidence: Type.Number(),
  resamples: Type.Integer({ description: 'Resamples whose statistic was a number.' }),
  droppedNaN: Type.Integer({ description: 'Resamples dropped because the statistic was undefined.' }),
};

/** Schema of a bootstrap confidence interval. */
export const ConfidenceIntervalSchema = Type.Object(confidenceFields, { additionalProperties: false });
/** A percentile-bootstrap confidence interval of one statistic. */
export type ConfidenceInterval = Static<typeof ConfidenceIntervalSchema>;

const pairedFields = {
  ...confidenceFields,
  shareAboveZero: Type.Number({
    description: 'Share of kept resamples where candidate − baseline > 0.',
  }),
};

/** Schema of a paired-bootstrap interval for candidate − baseline. */
export const PairedDifferenceSchema = Type.Object(pairedFields, { additionalProperties: false });
/** A paired-bootstrap interval for candidate − baseline. */
export type PairedDifference = Static<typeof PairedDifferenceSchema>;

const ModelRole = Type.Enum(['candidate', 'baseline']);

/** The metrics `bestThreshold` can maximise over a binary model's thresholds. */
export const THRESHOLD_OBJECTIVES = ['f1', 'balancedAccuracy', 'accuracy'] as const;

/** A metric `bestThreshold` can maximise. */
export type ThresholdObjective = (typeof THRESHOLD_OBJECTIVES)[number];

/** Schema of a threshold objective. */
export const ThresholdObjectiveSchema = Type.Enum(THRESHOLD_OBJECTIVES, {
  description: 'The metric the best threshold maximises.',
});

const Count = Type.Integer({ minimum: 0 });

/** Schema of one class's precision, recall, F1 and support. */
export const ClassMetricsSchema = Type.Object(
  {
    class: ClassValueSchema,
    precision: Type.Number({ description: '0 when the class is never predicted.' }),
    recall: Type.Number({ description: '0 when the class never occurs in the labels.' }),
    f1: Type.Number(),
    support: Type.Integer({ minimum: 0, description: 'Rows whose true label is this class.' }),
  },
  { additionalProperties: false },
);
/** One class's precision, recall, F1 and support. */
export type ClassMetrics = Static<typeof ClassMetricsSchema>;

/** Schema of a binary model's calibration (reliability) curve. */
export const CalibrationReportSchema = Type.Object(
  {
    bins: Type.Integer({
      minimum: 1,
      description: 'Equal-width bins on [0, 1] the probabilities fell into.',
    }),
    meanPredicted: Type.Array(Type.Number(), {
      description:
        'Per non-empty bin, in ascending order: the mean predicted probability of the positive class.',
    }),
    fractionPositive: Type.Array(Type.Number(), {
      description: 'Per non-empty bin: the fraction of its rows that are positive.',
    }),
    counts: Type.Array(Count, { description: 'Per non-empty bin: its rows. Empty bins are left out.' }),
  },
  { additionalProperties: false },
);
/** A binary model's calibration curve; empty bins are left out, as scikit-learn's calibration_curve does. */
export type CalibrationReport = Static<typeof CalibrationReportSchema>;

/** Schema of the decisions `score >= threshold` and their metrics. */
export const ThresholdReportSchema = Type.Object(
  {
    value: Type.Number({
      description: 'The threshold: the positive class is predicted when score >= value.',
    }),
    metrics: Type.Object(
      {
        precision: Type.Number(),
        recall: Type.Number(),
        f1: Type.Number(),
        accuracy: Type.Number(),
        balancedAccuracy: Type.Number(),
        tp: Count,
        fp: Count,
        tn: Count,
        fn: Count,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** A binary model's metrics at one threshold. */
export type ThresholdReport = Static<typeof ThresholdReportSchema>;

/** Schema of the threshold that maximises a metric. */
export const BestThresholdReportSchema = Type.Object(
  {
    metric: ThresholdObjectiveSchema,
    value: Type.Number({ description: 'The threshold (one of the scores); ties go to the highest.' }),
    score: Type.Number({ description: 'The metric at that threshold.' }),
  },
  { additionalProperties: false },
);
/** The threshold that maximises a metric, and the metric there. */
export type BestThresholdReport = Static<typeof BestThresholdReportSchema>;

/** Schema of one classifier's whole-dataset details. */
export const ModelDetailsSchema = Type.Object(
  {
    confusionMatrix: Type.Array(Type.Array(Count), {
      description: "Rows: true class, columns: predicted class, both in the report's classes order.",
    }),
    perClass: Type.Array(ClassMetricsSchema, { description: "In the report's classes order." }),
    calibration: Type.Optional(CalibrationReportSchema),
    threshold: Type.Optional(ThresholdReportSchema),
    bestThreshold: Type.Optional(BestThresholdReportSchema),
  },
  {
    additionalProperties: false,
    description:
      'Classification only, whole dataset only. calibration: binary with probabilities; threshold and ' +
      'bestThreshold: binary with probabilities or a score.',
  },
);
/** One classifier's whole-dataset details: confusion matrix, per-class metrics, binary curves and thresholds. */
export type ModelDetails = Static<typeof ModelDetailsSchema>;

/** Schema of one model's scores on the whole dataset. */
export const ModelReportSchema = Type.Object(
  {
    id: Type.String(),
    role: ModelRole,
    hasProbabilities: Type.Boolean(),
    hasScores: Type.Boolean(),
    metrics: MetricValuesSchema,
    details: Type.Optional(ModelDetailsSchema),
  },
  { additionalProperties: false },
);
/** One model's scores on the whole dataset. */
export type ModelReport = Static<typeof ModelReportSchema>;

const Bound = Type.Union([Type.Number(), Type.Null()]);

/** Schema of one slice's counts and metrics. */
export const SliceReportSchema = Type.Object(
  {
    label: Type.String({ description: 'The value ("FR", "(missing)") or the bucket ("[10, 20)").' }),
    value: Type.Optional(Type.Union([ClassValueSchema, Type.Null()])),
    range: Type.Optional(Type.Object({ lower: Bound, upper: Bound }, { additionalProperties: false })),
    rows: Type.Integer({ minimum: 0 }),
    queries: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Ranking: the queries (distinct query ids) among the rows.' }),
    ),
    small: Type.Boolean({ description: 'True when rows < minSliceRows: too noisy to act on.' }),
    models: Type.Record(Type.String(), MetricValuesSchema),
  },
  { additionalProperties: false },
);
/** One slice: its key, row count and every model's metrics on its rows. */
export type SliceReport = Static<typeof SliceReportSchema>;

/** Schema of all slices of one column. */
export const SliceGroupReportSchema = Type.Object(
  {
    column: Type.String(),
    buckets: Type.Optional(Type.Array(Type.Number())),
    slices: Type.Array(SliceReportSchema),
  },
  { additionalProperties: false },
);
/** All slices of one column. */
export type SliceGroupReport = Static<typeof SliceGroupReportSchema>;

/** Schema of a paired difference for one candidate against one baseline. */
export const PairedReportSchema = Type.Object(
  { ...pairedFields, candidate: Type.String(), baseline: Type.String() },
  { additionalProperties: false },
);
/** A paired-bootstrap difference for one candidate against one baseline. */
export type PairedReport = Static<typeof PairedReportSchema>;

/** Schema of the bootstrap part of a report. */
export const BootstrapReportSchema = Type.Object(
  {
    headline: Type.String(),
    resamples: Type.Integer(),
    seed: Type.Number(),
    confidence: Type.Number(),
    resampledQueries: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Ranking: the bootstrap resampled this many queries (not rows) with replacement.',
      }),
    ),
    models: Type.Record(Type.String(), ConfidenceIntervalSchema),
    differences: Type.Array(PairedReportSchema),
  },
  { additionalProperties: false },
);
/** Bootstrap intervals of the headline metric. */
export type BootstrapReport = Static<typeof BootstrapReportSchema>;

/** Schema of what a ranking evaluation grouped and cut at. */
export const RankingInfoSchema = Type.Object(
  {
    queryColumn: Type.String(),
    k: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: "The cutoff of every metric; null = each query's whole list.",
    }),
    queries: Type.Integer({ minimum: 1, description: 'Distinct query ids; every one is averaged over.' }),
    queriesWithoutRelevant: Type.Integer({
      minimum: 0,
      description:
        'Queries with no row of relevance > 0: they score 0 on every metric and stay in the means.',
    }),
  },
  { additionalProperties: false },
);
/** What a ranking evaluation grouped and cut at. */
export type RankingInfo = Static<typeof RankingInfoSchema>;

/** Schema of an evaluation report. */
export const EvaluationReportSchema = Type.Object(
  {
    task: EvaluationTaskSchema,
    rows: Type.Integer({ minimum: 1 }),
    labelColumn: Type.String(),
    classes: Type.Optional(Type.Array(ClassValueSchema)),
    positiveLabel: Type.Optional(ClassValueSchema),
    ranking: Type.Optional(RankingInfoSchema),
    minSliceRows: Type.Number(),
    models: Type.Array(ModelReportSchema),
    slices: Type.Array(SliceGroupReportSchema),
    bootstrap: Type.Optional(BootstrapReportSchema),
  },
  { additionalProperties: false },
);
/** The evaluation of several models on one labelled dataset. */
export type EvaluationReport = Static<typeof EvaluationReportSchema>;

const NumberOrNull = Type.Union([Type.Number(), Type.Null()]);

/** Schema of one slice as the gate checked it. */
export const SliceCheckSchema = Type.Object(
  {
    column: Type.String(),
    slice: Type.String(),
    rows: Type.Integer(),
    candidate: NumberOrNull,
    baseline: NumberOrNull,
    degradation: Type.Union([Type.Number(), Type.Null()], {
      description: 'How much worse the candidate is than the baseline (positive = worse).',
    }),
    checked: Type.Boolean({ description: 'False for slices below minRows or with the metric undefined.' }),
    passed: Type.Boolean(),
  },
  { additionalProperties: false },
);
/** One slice as the gate checked it. */
export type SliceCheck = Static<typeof SliceCheckSchema>;

const ScoredModel = Type.Object({ id: Type.String(), value: NumberOrNull }, { additionalProperties: false });

/** Schema of a gate verdict. */
export const GateVerdictSchema = Type.Object(
  {
    passed: Type.Boolean(),
    metric: Type.String(),
    direction: Type.Enum(['higher', 'lower']),
    candidate: ScoredModel,
    baseline: ScoredModel,
    difference: Type.Union([Type.Number(), Type.Null()], { description: 'candidate − baseline.' }),
    required: Type.Union([Type.Number(), Type.Null()], {
      description: 'The value the candidate had to reach (threshold and margin combined).',
    }),
    threshold: NumberOrNull,
    margin: MarginSchema,
    sliceChecks: Type.Array(SliceCheckSchema),
    differenceCi: Type.Union([PairedDifferenceSchema, Type.Null()]),
    reasons: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
/** The gate's decision with every number behind it. */
export type GateVerdict = Static<typeof GateVerdictSchema>;
