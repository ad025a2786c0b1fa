/**
 * `client.predictions`: the prediction log and its delayed labels. Reads go to the native API
 * (`GET /api/v1/endpoints/{name}/predictions | labels/unmatched | aggregates`, camelCase); labels
 * are posted to the data plane (`POST /v1/endpoints/{name}/labels`, snake_case, outside `/api/v1`),
 * split into calls of at most 10,000.
 */
import type {
  AggregateBucket,
  ExportFormat,
  LabelValue,
  LabelWriteResult,
  LoggedPrediction,
  PredictionPage,
  PredictionStatus,
  TrafficArm,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import type { DataPlane } from './data-plane.js';
import { InvalidArgumentError } from './errors.js';
import { Paginated } from './paginated.js';
import { pathOf, type QueryValues, type Transport } from './transport.js';

/** Most labels the server takes in one call; `submitLabels` splits longer lists. */
export const MAX_LABELS_PER_CALL = 10_000;

/** A time: ms since the epoch, a `Date`, or an ISO 8601 string. */
export type TimeInput = number | Date | string;

/** Filters over one endpoint's log; every one is optional. */
export interface PredictionQueryFilter {
  /** Inclusive lower bound on the prediction time. */
  from?: TimeInput;
  /** Exclusive upper bound on the prediction time. */
  to?: TimeInput;
  modelVersion?: string;
  arm?: TrafficArm;
  /** true: leave shadow records out (what callers were answered: live and canary). */
  excludeShadows?: boolean;
  entityId?: string;
  /** Only predictions with this tag: `{key, value}` or `'key:value'`. */
  tag?: { key: string; value: string } | string;
  /** true: only labelled predictions; false: only unlabelled; absent: both. */
  labelled?: boolean;
  /** `ok`: only served predictions; `error`: only the records of failed requests; absent: both. */
  status?: PredictionStatus;
}

/** Options of `predictions.query`: filters plus one page (newest first). */
export interface PredictionQueryOptions extends PredictionQueryFilter {
  /** Page size, 1-1000 (server default 100). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** Options of `predictions.iterate`: filters plus the page size of each request. */
export interface PredictionIterateOptions extends PredictionQueryFilter {
  /** Predictions per request, 1-1000 (default 1000). */
  pageSize?: number;
}

/** Options of `predictions.unmatchedLabels`: one page (newest first). */
export interface UnmatchedLabelsOptions {
  /** Page size, 1-1000 (server default 100). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** Options of `predictions.aggregate`: a required window, buckets and filters. */
export interface AggregateOptions extends Omit<PredictionQueryFilter, 'from' | 'to'> {
  from: TimeInput;
  to: TimeInput;
  /** Bucket width: ms, or `'30s'`, `'5m'`, `'1h'`, `'1d'` (server default 1h). */
  bucket?: number | string;
  /** Split each bucket by model version and/or arm. */
  groupBy?: readonly ('modelVersion' | 'arm')[];
  /** The output field compared with the label (`mae` when numeric, else `accuracy`). */
  predictionField?: string;
}

/** One label to submit: exactly one of `predictionId` or `entityId` (with an optional window). */
export interface LabelSubmission {
  predictionId?: string;
  entityId?: string;
  /** Inclusive start of the entity window (entity labels only). */
  from?: TimeInput;
  /** Exclusive end of the entity window (entity labels only). */
  to?: TimeInput;
  label: LabelValue;
}

/** Prediction log operations of a client. */
export class PredictionsApi {
  constructor(
    private readonly http: Transport,
    private readonly dataPlane: DataPlane,
  ) {}

  /** One page of the endpoint's logged predictions, newest first, each with its winning label. */
  async query(endpoint: string, options: PredictionQueryOptions = {}): Promise<PredictionPage> {
    const { limit, cursor, ...filter } = options;
    return this.http.json<PredictionPage>('GET', pathOf('endpoints', endpoint, 'predictions'), {
      query: { ...filterQuery(filter), limit, cursor },
    });
  }

  /** Every matching prediction, newest first, fetched page by page while iterated with `for await`. */
  iterate(endpoint: string, options: PredictionIterateOptions = {}): Paginated<LoggedPrediction> {
    const { pageSize = 1000, ...filter } = options;
    return new Paginated(async (cursor) => {
      const page = await this.query(endpoint, { ...filter, limit: pageSize, cursor });
      return { items: page.predictions, nextPageToken: page.nextCursor };
    });
  }

  /**
   * The filtered, joined log as a file (Parquet by default), oldest first: its bytes as a stream
   * (so a large export need not fit in memory) and the number of rows.
   */
  async export(
    endpoint: string,
    options: PredictionQueryFilter & { format?: ExportFormat } = {},
  ): Promise<{ rows: number; format: ExportFormat; body: ReadableStream<Uint8Array> }> {
    const { format = 'parquet', ...filter } = options;
    const response = await this.http.send('GET', pathOf('endpoints', endpoint, 'export'), {
      query: { ...filterQuery(filter), format },
    });
    if (response.body === null) throw new Error('The export response has no body');
    return { rows: Number(response.headers.get('x-slipway-rows') ?? 0), format, body: response.body };
  }

  /** One page of the endpoint's labels that match no logged prediction yet, with their `total`. */
  async unmatchedLabels(endpoint: string, options: UnmatchedLabelsOptions = {}): Promise<UnmatchedLabelPage> {
    return this.http.json<UnmatchedLabelPage>('GET', pathOf('endpoints', endpoint, 'labels', 'unmatched'), {
      query: { limit: options.limit, cursor: options.cursor },
    });
  }

  /**
   * Time-bucket aggregates of the filtered log: counts, errors and error rate, latency, label
   * delay, the prediction field's distribution and realized metrics.
   */
  async aggregate(endpoint: string, options: AggregateOptions): Promise<AggregateBucket[]> {
    const { bucket, groupBy, predictionField, ...filter } = options;
    const query: QueryValues = {
      ...filterQuery(filter),
      bucket: bucket === undefined ? undefined : String(bucket),
      groupBy: groupBy === undefined || groupBy.length === 0 ? undefined : groupBy.join(','),
      predictionField,
    };
    const body = await this.http.json<{ buckets: AggregateBucket[] }>(
      'GET',
      pathOf('endpoints', endpoint, 'aggregates'),
      { query },
    );
    return body.buckets;
  }

  /**
   * Submits labels in calls of at most 10,000 and sums their `{stored, matched, unmatched}`. Each
   * call is all or nothing; when a later call fails, the earlier ones stay stored.
   */
  async submitLabels(endpoint: string, labels: readonly LabelSubmission[]): Promise<LabelWriteResult> {
    const wire = labels.map((label, i) => wireLabel(label, `labels[${i}]`));
    const total: LabelWriteResult = { stored: 0, matched: 0, unmatched: 0 };
    for (let start = 0; start < wire.length; start += MAX_LABELS_PER_CALL) {
      const result = await this.postLabels(endpoint, wire.slice(start, start + MAX_LABELS_PER_CALL));
      total.stored += result.stored;
      total.matched += result.matched;
      total.unmatched += result.unmatched;
    }
    return total;
  }

  private postLabels(endpoint: string, labels: Record<string, unknown>[]): Promise<LabelWriteResult> {
    return this.dataPlane.postJson(`/v1/endpoints/${encodeURIComponent(endpoint)}/labels`, { labels });
  }
}

/** The filter as query-string values (the server parses ms and ISO 8601 alike). */
function filterQuery(filter: PredictionQueryFilter): QueryValues {
  const { tag } = filter;
  return {
    from: filter.from === undefined ? undefined : timeOf(filter.from, 'from'),
    to: filter.to === undefined ? undefined : timeOf(filter.to, 'to'),
    modelVersion: filter.modelVersion,
    arm: filter.arm,
    excludeShadows: filter.excludeShadows === undefined ? undefined : String(filter.excludeShadows),
    entityId: filter.entityId,
    tag: tag === undefined ? undefined : typeof tag === 'string' ? tag : `${tag.key}:${tag.value}`,
    labelled: filter.labelled === undefined ? undefined : String(filter.labelled),
    status: filter.status,
  };
}

/** One label in the data plane's snake_case. */
function wireLabel(label: LabelSubmission, at: string): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  if (label.predictionId !== undefined) wire['prediction_id'] = label.predictionId;
  if (label.entityId !== undefined) wire['entity_id'] = label.entityId;
  if (label.from !== undefined) wire['from'] = timeOf(label.from, `${at}.from`);
  if (label.to !== undefined) wire['to'] = timeOf(label.to, `${at}.to`);
  wire['label'] = label.label;
  return wire;
}

/** A `Date` as ms since the epoch; numbers and strings go as they are (the server checks them). */
function timeOf(value: TimeInput, field: string): number | string {
  if (!(value instanceof Date)) return value;
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${field} is an invalid Date.`, { field }, 0);
  return ms;
}
