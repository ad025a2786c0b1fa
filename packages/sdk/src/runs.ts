/** `client.runs`: run lifecycle, search, logging (metrics, params, tags, inputs) and metric history. */
import {
  encodeWireNumber,
  fromWireMetric,
  fromWireMetricBuckets,
  fromWireRun,
  type CreateRunRequest,
  type DatasetInput,
  type LogBatchRequest,
  type Metric,
  type MetricAxis,
  type MetricBuckets,
  type MetricBucketsResponse,
  type MetricHistoryResponse,
  type Run,
  type RunListResponse,
  type RunResponse,
  type RunStatus,
  type SearchRunsRequest,
  type StringMap,
  type ViewType,
} from '@slipway/contracts';
import { Paginated } from './paginated.js';
import { pathOf, type Transport } from './transport.js';

/** Input of `runs.create`. */
export type CreateRunInput = CreateRunRequest;

/** Fields of a run that `runs.update` can change. */
export interface RunUpdate {
  status?: RunStatus;
  /** ms since the epoch. */
  endTime?: number;
  runName?: string;
}

/** Options of `runs.search` (MLflow filter/order-by grammar). */
export interface SearchRunsOptions {
  experimentIds: string[];
  /** e.g. `metrics.acc > 0.9 AND params.lr = '0.01'`. */
  filter?: string;
  /** e.g. `['metrics.acc DESC', 'start_time']`. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

/** A page of runs. */
export interface RunPage {
  runs: Run[];
  /** Pass as `pageToken` to get the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Data for `runs.logBatch`: at most 1000 metrics, 100 params, 100 tags, 1000 entries in total. */
export interface LogBatchInput {
  metrics?: Metric[];
  params?: StringMap;
  tags?: StringMap;
}

/** Optional position of a metric observation. */
export interface MetricPoint {
  /** Defaults to 0. */
  step?: number;
  /** ms since the epoch; defaults to now. */
  timestamp?: number;
}

/** Options of `runs.metricHistory`. */
export interface MetricHistoryOptions {
  /** Points fetched per request (default 10000). */
  pageSize?: number;
}

/** Options of `runs.metricBuckets`. */
export interface MetricBucketsOptions {
  /** At most this many buckets (1..10000; the server's default is 1000). */
  buckets?: number;
  /** Bucket along the step (default) or the timestamp. */
  axis?: MetricAxis;
  /** Lowest step or timestamp (ms) kept, inclusive: with `to`, a zoomed-in view at full detail. */
  from?: number;
  /** Highest step or timestamp (ms) kept, inclusive. */
  to?: number;
}

const DEFAULT_HISTORY_PAGE_SIZE = 10_000;

/** Run operations of a client. */
export class RunsApi {
  constructor(private readonly http: Transport) {}

  /** Creates a run in an experiment. */
  async create(input: CreateRunInput): Promise<Run> {
    return this.runFrom(this.http.json<RunResponse>('POST', '/runs', { json: input }));
  }

  /** Returns a run with its latest metrics, params, tags and inputs; NotFoundError if absent. */
  async get(runId: string): Promise<Run> {
    return this.runFrom(this.http.json<RunResponse>('GET', pathOf('runs', runId)));
  }

  /** Updates status, end time and/or name; returns the updated run. */
  async update(runId: string, update: RunUpdate): Promise<Run> {
    return this.runFrom(this.http.json<RunResponse>('PATCH', pathOf('runs', runId), { json: update }));
  }

  /** Soft-deletes a run. */
  async delete(runId: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('runs', runId));
  }

  /** Restores a soft-deleted run and returns it. */
  async restore(runId: string): Promise<Run> {
    return this.runFrom(this.http.json<RunResponse>('POST', `${pathOf('runs', runId)}/restore`));
  }

  /** Returns one page of runs of the given experiments. */
  async search(options: SearchRunsOptions): Promise<RunPage> {
    const { experimentIds, filter, orderBy, maxResults, pageToken, viewType } = options;
    const body: SearchRunsRequest = { experimentIds, filter, orderBy, maxResults, pageToken, viewType };
    const page = await this.http.json<RunListResponse>('POST', '/runs/search', { json: body });
    return {
      runs: page.runs.map(fromWireRun),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  /** Logs metrics, params and tags in one atomic request (NaN and ±Infinity are valid metric values). */
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    const body: LogBatchRequest = {
      metrics: (batch.metrics ?? []).map((m) => ({ ...m, value: encodeWireNumber(m.value) })),
      params: batch.params ?? {},
      tags: batch.tags ?? {},
    };
    await this.http.empty('POST', `${pathOf('runs', runId)}/log`, { json: body });
  }

  /** Logs one metric observation (one request; use `startRun` for batched logging). */
  async logMetric(runId: string, key: string, value: number, point: MetricPoint = {}): Promise<void> {
    const metric = { key, value, step: point.step ?? 0, timestamp: point.timestamp ?? Date.now() };
    await this.logBatch(runId, { metrics: [metric] });
  }

  /** Logs one param; params are immutable, so a different value for the same key fails. */
  async logParam(runId: string, key: string, value: string | number | boolean): Promise<void> {
    await this.logBatch(runId, { params: { [key]: String(value) } });
  }

  /** Sets (or replaces) a run tag. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.empty('PUT', pathOf('runs', runId, 'tags', key), { json: { value } });
  }

  /** Deletes a run tag; NotFoundError if it is not set. */
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('runs', runId, 'tags', key));
  }

  /** Records datasets the run consumed. */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.http.empty('POST', `${pathOf('runs', runId)}/inputs`, { json: { datasets } });
  }

  /** Every point of a metric, ordered by step then timestamp; iterate with `for await` or `.collect()`. */
  metricHistory(runId: string, key: string, options: MetricHistoryOptions = {}): Paginated<Metric> {
    const maxResults = options.pageSize ?? DEFAULT_HISTORY_PAGE_SIZE;
    const path = `${pathOf('runs', runId, 'metrics', key)}/history`;
    return new Paginated(async (pageToken) => {
      const query = { maxResults, pageToken };
      const page = await this.http.json<MetricHistoryResponse>('GET', path, { query });
      return { items: page.metrics.map(fromWireMetric), nextPageToken: page.nextPageToken };
    });
  }

  /** A metric's history reduced for charting: first, last, min and max of each slice of the axis. */
  async metricBuckets(
    runId: string,
    key: string,
    options: MetricBucketsOptions = {},
  ): Promise<MetricBuckets> {
    const path = `${pathOf('runs', runId, 'metrics', key)}/buckets`;
    const { buckets, axis, from, to } = options;
    const query = { buckets, axis, from, to };
    return fromWireMetricBuckets(await this.http.json<MetricBucketsResponse>('GET', path, { query }));
  }

  private async runFrom(response: Promise<RunResponse>): Promise<Run> {
    return fromWireRun((await response).run);
  }
}
