/**
 * Decoding of the prediction log's wire formats, pure: the labels body
 * (`POST /v1/endpoints/{name}/labels`, snake_case like the data plane) and the query strings of
 * the read routes. Every refusal is INVALID_ARGUMENT naming the caller's own field.
 */
import {
  EXPORT_FORMATS,
  PREDICTION_STATUSES,
  TRAFFIC_ARMS,
  invalidArgument,
  type ExportFormat,
  type PredictionFilter,
  type AggregateRequest,
  type PredictionPageRequest,
  type PredictionStatus,
  type TrafficArm,
} from '@slipway/contracts';
import type { LabelInput } from './prediction-service.js';

/** Page size when the caller gives none. */
export const DEFAULT_PAGE_SIZE = 100;

const LABEL_KEYS = new Set(['prediction_id', 'entity_id', 'from', 'to', 'label']);

/** `{labels: [...]}` or one label object; each `{prediction_id | entity_id [from] [to], label}`. */
export function decodeLabelsBody(body: unknown): LabelInput[] {
  if (isObject(body) && 'labels' in body) {
    const extra = Object.keys(body).find((key) => key !== 'labels');
    if (extra !== undefined) throw invalidArgument(extra, `Unknown field '${extra}' beside labels`);
    const labels = body['labels'];
    if (!Array.isArray(labels)) throw invalidArgument('labels', 'labels must be a list of label objects');
    return labels.map((label, i) => decodeLabel(label, `labels[${i}]`));
  }
  return [decodeLabel(body, 'label')];
}

function decodeLabel(value: unknown, at: string): LabelInput {
  if (!isObject(value))
    throw invalidArgument(at, `${at} must be an object with label and prediction_id or entity_id`);
  const extra = Object.keys(value).find((key) => !LABEL_KEYS.has(key));
  if (extra !== undefined) throw invalidArgument(`${at}.${extra}`, `Unknown field '${extra}' in ${at}`);
  const { prediction_id: predictionId, entity_id: entityId, from, to, label } = value;
  if ((predictionId === undefined) === (entityId === undefined)) {
    throw invalidArgument(`${at}.prediction_id`, `${at} needs exactly one of prediction_id or entity_id`);
  }
  const input: LabelInput = { value: labelValue(label, `${at}.label`) };
  if (predictionId !== undefined) input.predictionId = nonEmptyString(predictionId, `${at}.prediction_id`);
  if (entityId !== undefined) input.entityId = nonEmptyString(entityId, `${at}.entity_id`);
  if (from !== undefined) input.from = decodeTime(from, `${at}.from`);
  if (to !== undefined) input.to = decodeTime(to, `${at}.to`);
  if (predictionId !== undefined && (from !== undefined || to !== undefined)) {
    throw invalidArgument(
      `${at}.from`,
      `${at}: from and to bound an entity's predictions; a prediction_id needs none`,
    );
  }
  if (input.from !== undefined && input.to !== undefined && input.from >= input.to) {
    throw invalidArgument(`${at}.to`, `${at}: to must be after from`);
  }
  return input;
}

function labelValue(value: unknown, field: string): LabelInput['value'] {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalidArgument(field, `${field} must be a string, a finite number or a boolean`);
}

function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw invalidArgument(field, `${field} must be a string of 1-256 characters`);
  }
  return value;
}

/** A time as milliseconds since the epoch or an ISO 8601 string (query strings give both as text). */
export function decodeTime(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw invalidArgument(field, `${field} must be milliseconds since the epoch or an ISO 8601 time`);
}

/** The query string of `GET .../predictions`. */
export function decodePredictionQuery(
  endpoint: string,
  query: Record<string, unknown>,
): PredictionPageRequest {
  const request: PredictionPageRequest = {
    ...decodeFilter(endpoint, query),
    limit: query['limit'] === undefined ? DEFAULT_PAGE_SIZE : integer(query['limit'], 'limit'),
  };
  if (query['cursor'] !== undefined) request.cursor = String(query['cursor']);
  return request;
}

/** The query string of `GET .../export`: the filters and `format` (default `parquet`). */
export function decodeExportQuery(
  endpoint: string,
  query: Record<string, unknown>,
): PredictionFilter & { format: ExportFormat } {
  const { limit: _limit, ...filter } = decodeFilter(endpoint, query);
  const format = String(query['format'] ?? 'parquet');
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw invalidArgument('format', `format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
  }
  return { ...filter, format: format as ExportFormat };
}

/** The query string of `GET .../aggregates`; `bucket` is ms or `30s`, `5m`, `1h`, `1d`. */
export function decodeAggregateQuery(endpoint: string, query: Record<string, unknown>): AggregateRequest {
  const filter = decodeFilter(endpoint, query);
  if (filter.from === undefined) throw invalidArgument('from', 'An aggregate needs from');
  if (filter.to === undefined) throw invalidArgument('to', 'An aggregate needs to');
  const request: AggregateRequest = {
    ...filter,
    from: filter.from,
    to: filter.to,
    bucketMs: query['bucket'] === undefined ? 3_600_000 : duration(query['bucket'], 'bucket'),
  };
  const groupBy = query['groupBy'];
  if (groupBy !== undefined) {
    request.groupBy = String(groupBy)
      .split(',')
      .map((key) => {
        if (key === 'modelVersion' || key === 'arm') return key;
        throw invalidArgument('groupBy', `groupBy takes modelVersion and/or arm, got '${key}'`);
      });
  }
  if (query['predictionField'] !== undefined) request.predictionField = String(query['predictionField']);
  return request;
}

function decodeFilter(endpoint: string, query: Record<string, unknown>): PredictionPageRequest {
  const filter: PredictionPageRequest = { endpoint, limit: DEFAULT_PAGE_SIZE };
  if (query['from'] !== undefined) filter.from = decodeTime(query['from'], 'from');
  if (query['to'] !== undefined) filter.to = decodeTime(query['to'], 'to');
  if (query['modelVersion'] !== undefined) filter.modelVersion = String(query['modelVersion']);
  if (query['arm'] !== undefined) filter.arm = arm(query['arm']);
  if (query['excludeShadows'] !== undefined) {
    filter.excludeShadows = boolean(query['excludeShadows'], 'excludeShadows');
  }
  if (query['entityId'] !== undefined) filter.entityId = String(query['entityId']);
  if (query['tag'] !== undefined) filter.tag = tag(query['tag']);
  if (query['labelled'] !== undefined) filter.labelled = boolean(query['labelled'], 'labelled');
  if (query['status'] !== undefined) filter.status = status(query['status']);
  return filter;
}

function status(value: unknown): PredictionStatus {
  const text = String(value);
  if ((PREDICTION_STATUSES as readonly string[]).includes(text)) return text as PredictionStatus;
  throw invalidArgument('status', `status must be one of ${PREDICTION_STATUSES.join(', ')}, got '${text}'`);
}

function arm(value: unknown): TrafficArm {
  const text = String(value);
  if ((TRAFFIC_ARMS as readonly string[]).includes(text)) return text as TrafficArm;
  throw invalidArgument('arm', `arm must be one of ${TRAFFIC_ARMS.join(', ')}, got '${text}'`);
}

/** `key:value` (the first colon splits). */
function tag(value: unknown): { key: string; value: string } {
  const text = String(value);
  const at = text.indexOf(':');
  if (at <= 0) throw invalidArgument('tag', `tag must be key:value, got '${text}'`);
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

function boolean(value: unknown, field: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalidArgument(field, `${field} must be true or false`);
}

function integer(value: unknown, field: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw invalidArgument(field, `${field} must be a whole number`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in ms: a whole number, or a whole number with a unit (`ms`, `s`, `m`, `h`, `d`). */
export function duration(value: unknown, field: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(String(value).trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw invalidArgument(field, `${field} must be a duration such as 3600000, 30s, 5m, 1h or 1d`);
  }
  return ms;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
