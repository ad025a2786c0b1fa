/**
 * Wire schemas of the native tracking API (`/api/v1`). The server validates requests and serializes
 * responses with these schemas, the OpenAPI document is generated from them, and the SDK uses the
 * derived static types, so the three cannot drift apart.
 *
 * JSON is camelCase. Metric values travel as `WireNumber` (JSON has no NaN/Infinity); every other
 * number is a plain JSON number.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { ERROR_CODES } from './errors.js';
import {
  METRIC_AXES,
  RUN_STATUSES,
  VIEW_TYPES,
  decodeWireNumber,
  encodeWireNumber,
  type Metric,
  type MetricBuckets,
  type MetricSample,
  type Run,
} from './tracking.js';

/** A string that must not be empty. */
const NonEmptyString = (options: { description?: string } = {}) => Type.String({ minLength: 1, ...options });

/** Milliseconds since the Unix epoch. */
const Millis = (description = 'Milliseconds since the Unix epoch.') =>
  Type.Integer({ minimum: 0, description });

/** Schema of a string → string map (tags, params). */
export const StringMapSchema = Type.Record(Type.String(), Type.String());

/** Schema of a number that may also be "NaN", "Infinity" or "-Infinity" (metric values). */
export const WireNumberSchema = Type.Union([Type.Number(), Type.Enum(['NaN', 'Infinity', '-Infinity'])], {
  description: 'A JSON number, or "NaN", "Infinity" or "-Infinity".',
});

/** Schema of a lifecycle stage. */
export const LifecycleStageSchema = Type.Enum(['active', 'deleted']);

/** Schema of a run status. */
export const RunStatusSchema = Type.Enum(RUN_STATUSES);

/** Schema of a search view type. */
export const ViewTypeSchema = Type.Enum(VIEW_TYPES);

/** Schema of a stable error code. */
export const ErrorCodeSchema = Type.Enum(ERROR_CODES);

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

/** Schema of an experiment. */
export const ExperimentSchema = Type.Object(
  {
    experimentId: Type.String(),
    name: Type.String(),
    artifactLocation: Type.String(),
    lifecycleStage: LifecycleStageSchema,
    creationTime: Millis(),
    lastUpdateTime: Millis(),
    tags: StringMapSchema,
  },
  { additionalProperties: false },
);

/** Schema of one metric observation on the wire. */
export const WireMetricSchema = Type.Object(
  { key: Type.String(), value: WireNumberSchema, timestamp: Millis(), step: Type.Integer() },
  { additionalProperties: false },
);

/** A metric observation on the wire (`value` may be "NaN"/"Infinity"/"-Infinity"). */
export type WireMetric = Static<typeof WireMetricSchema>;

/** Schema of run metadata. */
export const RunInfoSchema = Type.Object(
  {
    runId: Type.String(),
    experimentId: Type.String(),
    runName: Type.String(),
    userId: Type.String(),
    status: RunStatusSchema,
    startTime: Millis(),
    endTime: Type.Union([Millis(), Type.Null()]),
    artifactUri: Type.String(),
    lifecycleStage: LifecycleStageSchema,
  },
  { additionalProperties: false },
);

/** Schema of a dataset. */
export const DatasetSchema = Type.Object(
  {
    name: NonEmptyString(),
    digest: NonEmptyString(),
    sourceType: NonEmptyString({ description: 'e.g. "local", "s3", "hugging_face".' }),
    source: NonEmptyString({ description: 'JSON describing where the dataset lives.' }),
    schema: Type.Optional(Type.String()),
    profile: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Schema of a dataset input of a run. */
export const DatasetInputSchema = Type.Object(
  { dataset: DatasetSchema, tags: Type.Optional(StringMapSchema) },
  { additionalProperties: false },
);

/** Schema of a run (info, latest metrics, params, tags, dataset inputs). */
export const WireRunSchema = Type.Object(
  {
    info: RunInfoSchema,
    data: Type.Object(
      { metrics: Type.Array(WireMetricSchema), params: StringMapSchema, tags: StringMapSchema },
      { additionalProperties: false },
    ),
    inputs: Type.Object(
      {
        datasetInputs: Type.Array(
          Type.Object({ dataset: DatasetSchema, tags: StringMapSchema }, { additionalProperties: false }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** A run on the wire (metric values encoded as `WireNumber`). */
export type WireRun = Static<typeof WireRunSchema>;

/** Schema of one artifact listing entry; `path` is relative to the run's artifact root. */
export const ArtifactInfoSchema = Type.Object(
  { path: Type.String(), isDir: Type.Boolean(), fileSize: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);

/** One file or directory among a run's artifacts. */
export type ArtifactInfo = Static<typeof ArtifactInfoSchema>;

/** Schema of every native error response. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: ErrorCodeSchema,
        message: Type.String(),
        details: Type.Optional(
          Type.Object(
            { field: Type.Optional(Type.String()), position: Type.Optional(Type.Integer()) },
            { additionalProperties: true },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------------------------

/** Path parameters naming an experiment. */
export const ExperimentIdParamsSchema = Type.Object({ experimentId: NonEmptyString() });
/** Path parameters naming an experiment by name. */
export const ExperimentNameParamsSchema = Type.Object({ name: NonEmptyString() });
/** Path parameters naming an experiment tag. */
export const ExperimentTagParamsSchema = Type.Object({
  experimentId: NonEmptyString(),
  key: NonEmptyString(),
});
/** Path parameters naming a run. */
export const RunIdParamsSchema = Type.Object({ runId: NonEmptyString() });
/** Path parameters naming a run tag. */
export const RunTagParamsSchema = Type.Object({ runId: NonEmptyString(), key: NonEmptyString() });
/** Path parameters naming a run's metric. */
export const MetricParamsSchema = Type.Object({ runId: NonEmptyString(), key: NonEmptyString() });
/** Path parameters naming an artifact file (`*` is the path below the run's artifact root). */
export const ArtifactParamsSchema = Type.Object({ runId: NonEmptyString(), '*': Type.String() });

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const searchFields = {
  filter: Type.Optional(
    Type.String({ description: 'MLflow filter grammar, e.g. "metrics.acc > 0.9 and tags.team = \'x\'".' }),
  ),
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000 })),
  pageToken: Type.Optional(Type.String({ description: 'The nextPageToken of the previous page.' })),
  viewType: Type.Optional(ViewTypeSchema),
};

/** Body of `POST /experiments`. */
export const CreateExperimentRequestSchema = Type.Object(
  {
    name: NonEmptyString(),
    artifactLocation: Type.Optional(NonEmptyString()),
    tags: Type.Optional(StringMapSchema),
  },
  { additionalProperties: false },
);
/** Body of `POST /experiments`. */
export type CreateExperimentRequest = Static<typeof CreateExperimentRequestSchema>;

/** Query of `GET /experiments`; `orderBy` may repeat or hold a comma-separated list. */
export const SearchExperimentsQuerySchema = Type.Object(
  {
    ...searchFields,
    orderBy: Type.Optional(
      Type.Array(Type.String(), { description: 'e.g. "name ASC" or "creation_time DESC"; repeatable.' }),
    ),
  },
  { additionalProperties: false },
);
/** Query of `GET /experiments`. */
export type SearchExperimentsQuery = Static<typeof SearchExperimentsQuerySchema>;

/** Body of `PATCH /experiments/:experimentId`. */
export const UpdateExperimentRequestSchema = Type.Object(
  { name: NonEmptyString() },
  { additionalProperties: false },
);
/** Body of `PATCH /experiments/:experimentId`. */
export type UpdateExperimentRequest = Static<typeof UpdateExperimentRequestSchema>;

/** Body of `PUT .../tags/:key`. */
export const SetTagRequestSchema = Type.Object({ value: Type.String() }, { additionalProperties: false });
/** Body of `PUT .../tags/:key`. */
export type SetTagRequest = Static<typeof SetTagRequestSchema>;

/** Body of `POST /runs`. */
export const CreateRunRequestSchema = Type.Object(
  {
    experimentId: NonEmptyString(),
    runName: Type.Optional(Type.String()),
    userId: Type.Optional(Type.String()),
    startTime: Type.Optional(Millis('Defaults to the time the server receives the request.')),
    tags: Type.Optional(StringMapSchema),
  },
  { additionalProperties: false },
);
/** Body of `POST /runs`. */
export type CreateRunRequest = Static<typeof CreateRunRequestSchema>;

/** Body of `POST /runs/search`. */
export const SearchRunsRequestSchema = Type.Object(
  {
    experimentIds: Type.Array(NonEmptyString(), { minItems: 1 }),
    ...searchFields,
    orderBy: Type.Optional(
      Type.Array(Type.String(), { description: 'e.g. ["metrics.acc DESC", "start_time"].' }),
    ),
  },
  { additionalProperties: false },
);
/** Body of `POST /runs/search`. */
export type SearchRunsRequest = Static<typeof SearchRunsRequestSchema>;

/** Body of `PATCH /runs/:runId`. */
export const UpdateRunRequestSchema = Type.Object(
  {
    status: Type.Optional(RunStatusSchema),
    endTime: Type.Optional(Millis()),
    runName: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
/** Body of `PATCH /runs/:runId`. */
export type UpdateRunRequest = Static<typeof UpdateRunRequestSchema>;

/** One metric observation in a log request; `timestamp` defaults to receipt time, `step` to 0. */
export const LogMetricSchema = Type.Object(
  {
    key: NonEmptyString(),
    value: WireNumberSchema,
    timestamp: Type.Optional(Millis('Defaults to the time the server receives the request.')),
    step: Type.Optional(Type.Integer({ description: 'Defaults to 0.' })),
  },
  { additionalProperties: false },
);

/** Body of `POST /runs/:runId/log`: at most 1000 metrics, 100 params, 100 tags and 1000 in total. */
export const LogBatchRequestSchema = Type.Object(
  {
    metrics: Type.Optional(Type.Array(LogMetricSchema, { maxItems: 1000 })),
    params: Type.Optional(StringMapSchema),
    tags: Type.Optional(StringMapSchema),
  },
  { additionalProperties: false },
);
/** Body of `POST /runs/:runId/log`. */
export type LogBatchRequest = Static<typeof LogBatchRequestSchema>;

/** Body of `POST /runs/:runId/inputs`. */
export const LogInputsRequestSchema = Type.Object(
  { datasets: Type.Array(DatasetInputSchema, { maxItems: 1000 }) },
  { additionalProperties: false },
);
/** Body of `POST /runs/:runId/inputs`. */
export type LogInputsRequest = Static<typeof LogInputsRequestSchema>;

/** Query of `GET /runs/:runId/metrics/:key/history`; without maxResults the whole history is one page. */
export const MetricHistoryQuerySchema = Type.Object(
  {
    maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 50000 })),
    pageToken: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
/** Query of `GET /runs/:runId/metrics/:key/history`. */
export type MetricHistoryQuery = Static<typeof MetricHistoryQuerySchema>;

/** Most buckets one request may ask for (a chart several screens wide still fits). */
export const MAX_METRIC_BUCKETS = 10_000;

/** Query of `GET /runs/:runId/metrics/:key/buckets`. */
export const MetricBucketsQuerySchema = Type.Object(
  {
    buckets: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_METRIC_BUCKETS, description: 'Defaults to 1000.' }),
    ),
    axis: Type.Optional(Type.Enum(METRIC_AXES, { description: 'step (default) or time.' })),
    from: Type.Optional(Type.Number({ description: 'Lowest step or timestamp (ms) kept, inclusive.' })),
    to: Type.Optional(Type.Number({ description: 'Highest step or timestamp (ms) kept, inclusive.' })),
  },
  { additionalProperties: false },
);
/** Query of `GET /runs/:runId/metrics/:key/buckets`. */
export type MetricBucketsQuery = Static<typeof MetricBucketsQuerySchema>;

/** Query of `GET /runs/:runId/artifacts`: the directory to list, relative to the artifact root. */
export const ListArtifactsQuerySchema = Type.Object(
  { path: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
/** Query of `GET /runs/:runId/artifacts`. */
export type ListArtifactsQuery = Static<typeof ListArtifactsQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const withPageToken = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(
    {
      ...properties,
      nextPageToken: Type.Optional(Type.String({ description: 'Present when more results may follow.' })),
    },
    { additionalProperties: false },
  );

/** Response carrying one experiment. */
export const ExperimentResponseSchema = Type.Object(
  { experiment: ExperimentSchema },
  { additionalProperties: false },
);
/** Response carrying one experiment. */
export type ExperimentResponse = Static<typeof ExperimentResponseSchema>;

/** Response of `GET /experiments`. */
export const ExperimentListResponseSchema = withPageToken({ experiments: Type.Array(ExperimentSchema) });
/** Response of `GET /experiments`. */
export type ExperimentListResponse = Static<typeof ExperimentListResponseSchema>;

/** Response carrying one run. */
export const RunResponseSchema = Type.Object({ run: WireRunSchema }, { additionalProperties: false });
/** Response carrying one run. */
export type RunResponse = Static<typeof RunResponseSchema>;

/** Response of `POST /runs/search`. */
export const RunListResponseSchema = withPageToken({ runs: Type.Array(WireRunSchema) });
/** Response of `POST /runs/search`. */
export type RunListResponse = Static<typeof RunListResponseSchema>;

/** Response of `GET /runs/:runId/metrics/:key/history`. */
export const MetricHistoryResponseSchema = withPageToken({ metrics: Type.Array(WireMetricSchema) });
/** Response of `GET /runs/:runId/metrics/:key/history`. */
export type MetricHistoryResponse = Static<typeof MetricHistoryResponseSchema>;

/** Schema of one observation inside a bucket, on the wire. */
export const WireMetricSampleSchema = Type.Object(
  { step: Type.Integer(), timestamp: Millis(), value: WireNumberSchema },
  { additionalProperties: false },
);
/** One observation inside a bucket, on the wire. */
export type WireMetricSample = Static<typeof WireMetricSampleSchema>;

/** Schema of one bucket of a metric history, on the wire. */
export const WireMetricBucketSchema = Type.Object(
  {
    count: Type.Integer({ minimum: 1 }),
    first: WireMetricSampleSchema,
    last: WireMetricSampleSchema,
    min: WireMetricSampleSchema,
    max: WireMetricSampleSchema,
  },
  { additionalProperties: false },
);
/** One bucket of a metric history, on the wire. */
export type WireMetricBucket = Static<typeof WireMetricBucketSchema>;

/** Response of `GET /runs/:runId/metrics/:key/buckets`. */
export const MetricBucketsResponseSchema = Type.Object(
  {
    key: Type.String(),
    axis: Type.Enum(METRIC_AXES),
    total: Type.Integer({ minimum: 0 }),
    downsampled: Type.Boolean(),
    buckets: Type.Array(WireMetricBucketSchema),
  },
  { additionalProperties: false },
);
/** Response of `GET /runs/:runId/metrics/:key/buckets`. */
export type MetricBucketsResponse = Static<typeof MetricBucketsResponseSchema>;

/** Response of `PUT /runs/:runId/artifacts/*`. */
export const ArtifactResponseSchema = Type.Object(
  { artifact: ArtifactInfoSchema },
  { additionalProperties: false },
);
/** Response of `PUT /runs/:runId/artifacts/*`. */
export type ArtifactResponse = Static<typeof ArtifactResponseSchema>;

/** Response of `GET /runs/:runId/artifacts`. */
export const ArtifactListResponseSchema = Type.Object(
  { artifacts: Type.Array(ArtifactInfoSchema) },
  { additionalProperties: false },
);
/** Response of `GET /runs/:runId/artifacts`. */
export type ArtifactListResponse = Static<typeof ArtifactListResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Conversions between domain and wire shapes
// ---------------------------------------------------------------------------------------------

/** Encodes a metric for the wire (non-finite values become strings). */
export function toWireMetric(metric: Metric): WireMetric {
  return {
    key: metric.key,
    value: encodeWireNumber(metric.value),
    timestamp: metric.timestamp,
    step: metric.step,
  };
}

/** Decodes a wire metric; a value that is no number at all decodes to NaN rather than throwing. */
export function fromWireMetric(metric: WireMetric): Metric {
  return {
    key: metric.key,
    value: decodeWireNumber(metric.value) ?? Number.NaN,
    timestamp: metric.timestamp,
    step: metric.step,
  };
}

/** Encodes a run for the wire. */
export function toWireRun(run: Run): WireRun {
  return { ...run, data: { ...run.data, metrics: run.data.metrics.map(toWireMetric) } };
}

/** Decodes a wire run back to the domain shape (metric values as numbers). */
export function fromWireRun(run: WireRun): Run {
  return { ...run, data: { ...run.data, metrics: run.data.metrics.map(fromWireMetric) } };
}

/** Encodes a bucketed history for the wire. */
export function toWireMetricBuckets(history: MetricBuckets): MetricBucketsResponse {
  return { ...history, buckets: history.buckets.map((b) => mapBucket(b, toWireSample)) };
}

/** Decodes a bucketed history from the wire. */
export function fromWireMetricBuckets(history: MetricBucketsResponse): MetricBuckets {
  return { ...history, buckets: history.buckets.map((b) => mapBucket(b, fromWireSample)) };
}

function mapBucket<A, B>(
  bucket: { count: number; first: A; last: A; min: A; max: A },
  f: (sample: A) => B,
): { count: number; first: B; last: B; min: B; max: B } {
  return {
    count: bucket.count,
    first: f(bucket.first),
    last: f(bucket.last),
    min: f(bucket.min),
    max: f(bucket.max),
  };
}

function toWireSample(sample: MetricSample): WireMetricSample {
  return { step: sample.step, timestamp: sample.timestamp, value: encodeWireNumber(sample.value) };
}

function fromWireSample(sample: WireMetricSample): MetricSample {
  return {
    step: sample.step,
    timestamp: sample.timestamp,
    value: decodeWireNumber(sample.value) ?? Number.NaN,
  };
}
