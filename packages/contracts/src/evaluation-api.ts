/**
 * Wire schemas of the native evaluation API: evaluations (`/evaluations`), baselines fitted or
 * declared and registered in one call (`/baselines`), each registered model's evaluation policy
 * (`/models/:name/evaluation-policy`) and gated promotion (`/models/:name/versions/:version/promote`).
 * Requests are validated with these schemas; the SDK uses the static types.
 */
import Type, { type Static } from 'typebox';
import {
  BootstrapSpecSchema,
  ClassValueSchema,
  EvaluationReportSchema,
  EvaluationTaskSchema,
  GateSpecSchema,
  GateVerdictSchema,
  SliceSpecSchema,
  ThresholdObjectiveSchema,
} from './evaluation.js';
import { ModelContractSchema, ModelVersionSchema, RegistryEventSchema } from './registry-api.js';
import { StringMapSchema } from './tracking-api.js';

/** File formats a dataset may come in. */
export const DATASET_FORMATS = ['csv', 'jsonl', 'parquet'] as const;

/** A dataset file format. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** Schema of where an evaluation's rows come from: a file in the artifact store, or inline rows. */
export const DatasetRefSchema = Type.Object(
  {
    uri: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'runs:/<run_id>/<path> or mlflow-artifacts:/<path> of a CSV, JSONL or Parquet file.',
      }),
    ),
    format: Type.Optional(Type.Enum(DATASET_FORMATS, { description: "Default: from the file's extension." })),
    rows: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        description: 'Inline rows (column → value); exactly one of uri and rows.',
      }),
    ),
  },
  { additionalProperties: false },
);
/** Where an evaluation's rows come from: exactly one of `uri` and `rows`. */
export type DatasetRef = Static<typeof DatasetRefSchema>;

/** Schema of a reference to a registered model version: by version or by alias. */
export const ModelVersionRefSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    version: Type.Optional(Type.String({ minLength: 1 })),
    alias: Type.Optional(Type.String({ minLength: 1, description: 'Resolved when the evaluation starts.' })),
  },
  { additionalProperties: false },
);
/** A registered model version, by version number or by alias (exactly one). */
export type ModelVersionRef = Static<typeof ModelVersionRefSchema>;

/** Schema of one model of an evaluation. */
export const EvaluatedModelRefSchema = Type.Object(
  {
    ...ModelVersionRefSchema.properties,
    role: Type.Optional(Type.Enum(['candidate', 'baseline'], { description: 'Default candidate.' })),
  },
  { additionalProperties: false },
);
/** One model of an evaluation request. */
export type EvaluatedModelRef = Static<typeof EvaluatedModelRefSchema>;

/** How to score: the parts of an evaluation that do not name data or models. */
const scoringFields = {
  task: EvaluationTaskSchema,
  labelColumn: Type.String({ minLength: 1 }),
  predictionField: Type.Optional(
    Type.String({ minLength: 1, description: 'Default label (classification) or prediction (regression).' }),
  ),
  scoreField: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Binary: ranking score read when there are no probabilities. Ranking: the score rows are ranked by ' +
        '(default score, else prediction when the model returns no score).',
    }),
  ),
  queryColumn: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Ranking (required there, refused elsewhere): the query id column.',
    }),
  ),
  k: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: "Ranking: cutoff of every metric (NDCG@k, MAP@k, …); default each query's whole list.",
    }),
  ),
  positiveLabel: Type.Optional(ClassValueSchema),
  slices: Type.Optional(Type.Array(SliceSpecSchema)),
  minSliceRows: Type.Optional(Type.Integer({ minimum: 0 })),
  bootstrap: Type.Optional(BootstrapSpecSchema),
  threshold: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'Binary: the threshold of details.threshold (positive when score >= it); default 0.5.',
    }),
  ),
  optimizeThresholdFor: Type.Optional(ThresholdObjectiveSchema),
  calibrationBins: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Binary: equal-width bins of details.calibration; default 10.' }),
  ),
};

/** Schema of the scoring settings an evaluation ran with. */
export const ScoringSettingsSchema = Type.Object(scoringFields, { additionalProperties: false });
/** The scoring settings an evaluation ran with. */
export type ScoringSettings = Static<typeof ScoringSettingsSchema>;

/** Schema of a request to evaluate models on a dataset. */
export const CreateEvaluationRequestSchema = Type.Object(
  {
    ...scoringFields,
    dataset: DatasetRefSchema,
    models: Type.Array(EvaluatedModelRefSchema, { minItems: 1 }),
    gate: Type.Optional(GateSpecSchema),
    runId: Type.Optional(
      Type.String({ minLength: 1, description: 'Log into this run; default: a new run.' }),
    ),
    experimentId: Type.Optional(
      Type.String({ minLength: 1, description: 'Experiment of the new run; default slipway-evaluations.' }),
    ),
  },
  { additionalProperties: false },
);
/** Request of `POST /evaluations`. */
export type CreateEvaluationRequest = Static<typeof CreateEvaluationRequestSchema>;

/** Schema of one evaluated model as stored. */
export const EvaluationModelSchema = Type.Object(
  {
    id: Type.String({ description: 'The id used in the report: name/version.' }),
    name: Type.String(),
    version: Type.String(),
    role: Type.Enum(['candidate', 'baseline']),
  },
  { additionalProperties: false },
);
/** One evaluated model as stored. */
export type EvaluationModel = Static<typeof EvaluationModelSchema>;

/** Schema of the dataset an evaluation read. */
export const EvaluatedDatasetSchema = Type.Object(
  {
    uri: Type.Optional(Type.String()),
    format: Type.Optional(Type.Enum(DATASET_FORMATS)),
    rows: Type.Integer({ minimum: 1 }),
    digest: Type.String({ description: 'sha256: of the file, or of the inline rows as JSON.' }),
  },
  { additionalProperties: false },
);
/** The dataset an evaluation read. */
export type EvaluatedDataset = Static<typeof EvaluatedDatasetSchema>;

/** Schema of what a gated promotion attempt did. */
export const PromotionOutcomeSchema = Type.Object(
  {
    alias: Type.String(),
    version: Type.String(),
    outcome: Type.Enum(['promoted', 'refused', 'forced'], {
      description: 'forced: the gate failed and --force moved the alias anyway.',
    }),
  },
  { additionalProperties: false },
);
/** What a gated promotion attempt did. */
export type PromotionOutcome = Static<typeof PromotionOutcomeSchema>;

/** Schema of a stored evaluation. */
export const EvaluationSchema = Type.Object(
  {
    id: Type.String(),
    createdAt: Type.Integer({ minimum: 0, description: 'Milliseconds since the Unix epoch.' }),
    createdBy: Type.String(),
    settings: ScoringSettingsSchema,
    dataset: EvaluatedDatasetSchema,
    models: Type.Array(EvaluationModelSchema),
    report: EvaluationReportSchema,
    gate: Type.Optional(GateSpecSchema),
    verdict: Type.Optional(GateVerdictSchema),
    promotion: Type.Optional(PromotionOutcomeSchema),
    runId: Type.Optional(Type.String({ description: 'The tracking run the metrics were logged to.' })),
  },
  { additionalProperties: false },
);
/** A stored evaluation: only complete reports are ever stored. */
export type Evaluation = Static<typeof EvaluationSchema>;

/** Response carrying one evaluation. */
export const EvaluationResponseSchema = Type.Object(
  { evaluation: EvaluationSchema },
  { additionalProperties: false },
);
/** Response carrying one evaluation. */
export type EvaluationResponse = Static<typeof EvaluationResponseSchema>;

/** Query of `GET /evaluations`. */
export const ListEvaluationsQuerySchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, description: 'Only evaluations of this model.' })),
    version: Type.Optional(Type.String({ minLength: 1, description: 'With model: only this version.' })),
    promotions: Type.Optional(Type.Boolean({ description: 'Only gated promotion attempts.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100.' })),
  },
  { additionalProperties: false },
);
/** Query of `GET /evaluations`. */
export type ListEvaluationsQuery = Static<typeof ListEvaluationsQuerySchema>;

/** Response of `GET /evaluations`, newest first. */
export const EvaluationListResponseSchema = Type.Object(
  { evaluations: Type.Array(EvaluationSchema) },
  { additionalProperties: false },
);
/** Response of `GET /evaluations`, newest first. */
export type EvaluationListResponse = Static<typeof EvaluationListResponseSchema>;

/** Path parameters naming an evaluation. */
export const EvaluationParamsSchema = Type.Object({ id: Type.String({ minLength: 1 }) });

// ---------------------------------------------------------------------------------------------
// Evaluation policy and promotion
// ---------------------------------------------------------------------------------------------

/** Schema of a registered model's evaluation policy: the data, baseline and gate promotion uses. */
export const EvaluationPolicySchema = Type.Object(
  {
    ...scoringFields,
    dataset: Type.Object(
      {
        uri: Type.String({
          minLength: 1,
          description: 'runs:/ or mlflow-artifacts:/ URI of the held-out data.',
        }),
        format: Type.Optional(Type.Enum(DATASET_FORMATS)),
      },
      { additionalProperties: false },
    ),
    baseline: ModelVersionRefSchema,
    gate: GateSpecSchema,
    protectedAliases: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Aliases that only a gated promotion may move (every other alias write is refused).',
      }),
    ),
  },
  { additionalProperties: false },
);
/** A registered model's evaluation policy. */
export type EvaluationPolicy = Static<typeof EvaluationPolicySchema>;

/** Response carrying a policy. */
export const EvaluationPolicyResponseSchema = Type.Object(
  { policy: EvaluationPolicySchema },
  { additionalProperties: false },
);
/** Response carrying a policy. */
export type EvaluationPolicyResponse = Static<typeof EvaluationPolicyResponseSchema>;

/** Schema of a gated promotion request. */
export const PromoteRequestSchema = Type.Object(
  {
    alias: Type.String({ minLength: 1 }),
    force: Type.Optional(
      Type.Boolean({ description: 'Move the alias even when the gate fails; audited as forced.' }),
    ),
    reason: Type.Optional(Type.String({ description: 'Recorded in the promotion history.' })),
  },
  { additionalProperties: false },
);
/** Request of `POST /models/:name/versions/:version/promote`. */
export type PromoteRequest = Static<typeof PromoteRequestSchema>;

/** Schema of a promotion that moved the alias. */
export const PromoteResponseSchema = Type.Object(
  {
    forced: Type.Boolean({ description: 'True when the gate failed and force moved the alias.' }),
    event: RegistryEventSchema,
    evaluation: EvaluationSchema,
  },
  { additionalProperties: false },
);
/** Response of a promotion that moved the alias (a refused one is a FAILED_PRECONDITION error). */
export type PromoteResponse = Static<typeof PromoteResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

/** Tasks a baseline can be fitted for: every evaluation task but ranking. */
export const FITTABLE_BASELINE_TASKS = ['binary', 'multiclass', 'regression'] as const;

/** Kinds of baseline that can be fitted from a dataset. */
export const FITTABLE_BASELINE_KINDS = ['constant', 'rules'] as const;

/** Schema of how to fit a baseline from labelled rows. */
export const BaselineFitSchema = Type.Object(
  {
    kind: Type.Enum(FITTABLE_BASELINE_KINDS),
    task: Type.Enum(FITTABLE_BASELINE_TASKS, {
      description: 'Ranking baselines are declared with a spec (e.g. rules returning score), not fitted.',
    }),
    labelColumn: Type.String({ minLength: 1 }),
    dataset: DatasetRefSchema,
    strategy: Type.Optional(
      Type.Enum(['majority', 'mean', 'median', 'quantile'], {
        description:
          'constant: majority (classification, the default) or mean (regression default), median, quantile.',
      }),
    ),
    quantile: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'For strategy quantile.' })),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            when: Type.String({ minLength: 1 }),
            then: Type.Optional(
              Type.Unknown({
                description:
                  'Omitted: fitted as the majority label / mean of the rows the rule is first to match.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        { description: 'rules: conditions in order; the default is fitted from rows no rule matches.' },
      ),
    ),
  },
  { additionalProperties: false },
);
/** How to fit a baseline from labelled rows. */
export type BaselineFit = Static<typeof BaselineFitSchema>;

/** Schema of a request to create (fit or declare) and register a baseline. */
export const CreateBaselineRequestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Registered model to add the baseline version to.' }),
    spec: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'A complete baseline spec (docs/baselines.md); exactly one of spec and fit.',
      }),
    ),
    fit: Type.Optional(BaselineFitSchema),
    contract: Type.Optional(ModelContractSchema),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(StringMapSchema),
    experimentId: Type.Optional(
      Type.String({ minLength: 1, description: 'Experiment of the run that holds the package; default 0.' }),
    ),
  },
  { additionalProperties: false },
);
/** Request of `POST /baselines`. */
export type CreateBaselineRequest = Static<typeof CreateBaselineRequestSchema>;

/** Schema of a created baseline. */
export const CreateBaselineResponseSchema = Type.Object(
  {
    modelVersion: ModelVersionSchema,
    spec: Type.Record(Type.String(), Type.Unknown(), { description: 'The spec as stored in the package.' }),
  },
  { additionalProperties: false },
);
/** Response of `POST /baselines`. */
export type CreateBaselineResponse = Static<typeof CreateBaselineResponseSchema>;
