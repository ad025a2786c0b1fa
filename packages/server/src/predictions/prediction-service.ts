/**
 * Use cases of the prediction log: delayed labels in (from the API or a file), and the joined log
 * out (pages, unmatched labels, time-bucket aggregates). Every call names an endpoint that must
 * exist, or a registered model (batch jobs log under the model's name by default); the store does
 * the joining.
 */
import { randomBytes } from 'node:crypto';
import {
  SlipwayError,
  invalidArgument,
  type AggregateBucket,
  type AggregateRequest,
  type LabelRecord,
  type LabelValue,
  type LabelWriteResult,
  type PredictionPage,
  type PredictionPageRequest,
  type UnmatchedLabelPage,
} from '@slipway/contracts';
import type { EndpointService } from '../serving/endpoint-service.js';
import type { ExportRequest, PredictionStore, UnmatchedLabelRequest } from './prediction-store.js';

/** Most labels one call may carry. */
export const MAX_LABELS_PER_CALL = 10_000;

/** Most buckets one aggregate may return (a wider range needs a wider bucket). */
export const MAX_AGGREGATE_BUCKETS = 10_000;

/** One label as a caller sends it, keyed by prediction id or by entity id and window. */
export interface LabelInput {
  predictionId?: string;
  entityId?: string;
  /** Inclusive start of the entity window (ms since the epoch). */
  from?: number;
  /** Exclusive end of the entity window (ms since the epoch). */
  to?: number;
  value: LabelValue;
}

/** What the prediction service needs. */
export interface PredictionServiceDeps {
  /** The log, or undefined when this process runs with the prediction log off. */
  store: PredictionStore | undefined;
  endpoints: Pick<EndpointService, 'get'>;
  /** Registered models: a name that is not an endpoint may be a model whose batch jobs logged under it. */
  models?: { getRegisteredModel(name: string): Promise<unknown> };
  now?: () => number;
}

/** The prediction log and its feedback, over one store. */
export class PredictionService {
  private readonly now: () => number;
  /** Orders the ids of labels received in the same millisecond, in arrival order. */
  private sequence = 0;

  constructor(private readonly deps: PredictionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Stores labels for the endpoint's predictions (all or none). Labels of one call share a
   * receive time; a later label in the call wins over an earlier one for the same prediction.
   */
  async submitLabels(
    endpoint: string,
    labels: readonly LabelInput[],
    source: string,
  ): Promise<LabelWriteResult> {
    const store = await this.storeFor(endpoint);
    if (labels.length === 0) return { stored: 0, matched: 0, unmatched: 0 };
    if (labels.length > MAX_LABELS_PER_CALL) {
      throw invalidArgument('labels', `At most ${MAX_LABELS_PER_CALL} labels per call, got ${labels.length}`);
    }
    const receivedAt = this.now();
    return store.writeLabels(labels.map((label) => this.toRecord(endpoint, label, receivedAt, source)));
  }

  /** A page of the endpoint's logged predictions with their labels, newest first. */
  async queryPredictions(request: PredictionPageRequest): Promise<PredictionPage> {
    return (await this.storeFor(request.endpoint)).queryPredictions(request);
  }

  /** A page of the endpoint's labels that match no logged prediction yet. */
  async unmatchedLabels(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage> {
    return (await this.storeFor(request.endpoint)).unmatchedLabels(request);
  }

  /** Time-bucket aggregates; refuses ranges that would make more than MAX_AGGREGATE_BUCKETS buckets. */
  async aggregate(request: AggregateRequest): Promise<AggregateBucket[]> {
    checkAggregateRange(request);
    return (await this.storeFor(request.endpoint)).aggregate(request);
  }

  /** Writes the filtered, joined log of the endpoint to `path` on this machine. */
  async exportTo(request: ExportRequest): Promise<{ rows: number }> {
    return (await this.storeFor(request.endpoint)).exportWindow(request);
  }

  /** Resolves when the log is kept under `name` (an endpoint, or a model batch jobs log under); NOT_FOUND otherwise. */
  async checkLogName(name: string): Promise<void> {
    await this.deps.endpoints.get(name).catch(async (err: unknown) => {
      const models = this.deps.models;
      if (!(err instanceof SlipwayError) || err.code !== 'NOT_FOUND' || models === undefined) throw err;
      await models.getRegisteredModel(name).catch(() => {
        throw err;
      });
    });
  }

  private async storeFor(endpoint: string): Promise<PredictionStore> {
    // NOT_FOUND for a name that is neither, before anything is read or written.
    await this.checkLogName(endpoint);
    const store = this.deps.store;
    if (store === undefined) {
      throw new SlipwayError(
        'UNAVAILABLE',
        'The prediction log is off in this process (--prediction-log off)',
      );
    }
    return store;
  }

  private toRecord(endpoint: string, label: LabelInput, receivedAt: number, source: string): LabelRecord {
    const record: LabelRecord = {
      labelId: this.nextLabelId(receivedAt),
      endpoint,
      value: label.value,
      receivedAt,
      source,
    };
    if (label.predictionId !== undefined) record.predictionId = label.predictionId;
    if (label.entityId !== undefined) record.entityId = label.entityId;
    if (label.from !== undefined) record.from = label.from;
    if (label.to !== undefined) record.to = label.to;
    return record;
  }

  /**
   * Label ids sort by receive time, then arrival within this process (the tie-break of the join
   * rule), then a random part that keeps ids of different processes apart.
   */
  private nextLabelId(receivedAt: number): string {
    const sequence = (this.sequence = (this.sequence + 1) % 36 ** 6);
    const time = Math.max(0, Math.trunc(receivedAt)).toString(36).padStart(9, '0');
    return `${time}-${sequence.toString(36).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
  }
}

/** `from < to`, a positive bucket, and not too many buckets between them. */
export function checkAggregateRange(request: AggregateRequest): void {
  const { from, to, bucketMs } = request;
  if (!Number.isFinite(from)) throw invalidArgument('from', 'from must be a time (ms since the epoch)');
  if (!Number.isFinite(to) || to <= from) throw invalidArgument('to', 'to must be a time after from');
  if (!Number.isInteger(bucketMs) || bucketMs < 1) {
    throw invalidArgument('bucketMs', 'bucketMs must be a positive whole number of milliseconds');
  }
  const buckets = Math.ceil((to - from) / bucketMs);
  if (buckets > MAX_AGGREGATE_BUCKETS) {
    throw invalidArgument(
      'bucketMs',
      `${buckets} buckets of ${bucketMs} ms between from and to; at most ${MAX_AGGREGATE_BUCKETS}: use a wider bucket`,
    );
  }
}
