/**
 * Domain → MLflow protobuf-JSON text. The shapes copy what MLflow 2.12's `message_to_json` prints:
 * snake_case, unset fields and empty repeated fields omitted, int64 as JSON numbers, non-finite
 * doubles as "NaN"/"Infinity"/"-Infinity". Runs and experiments are written straight into strings
 * (no intermediate wire objects); the metric history, all numbers, goes through native JSON.stringify.
 */
import {
  encodeWireNumber,
  type DatasetInput,
  type Experiment,
  type Metric,
  type Run,
  type RunData,
  type RunInfo,
  type StringMap,
  type WireNumber,
} from '@slipway/contracts';
import type { ArtifactEntry } from '../../../tracking/artifact-store.js';

/** The body of every call that answers an empty protobuf message (log-*, set-*, delete, ...). */
export const EMPTY_RESPONSE = '{}';

const quote = JSON.stringify as (value: string) => string;

/** `{"experiment_id": ...}` of experiments/create. */
export function createExperimentResponse(experimentId: string): string {
  return `{"experiment_id":${quote(experimentId)}}`;
}

/** `{"experiment": ...}` of experiments/get and get-by-name. */
export function experimentResponse(experiment: Experiment): string {
  return `{"experiment":${experimentJson(experiment)}}`;
}

/** A search-experiments page; `{}` when empty, `next_page_token` only when given. */
export function searchExperimentsResponse(
  experiments: readonly Experiment[],
  nextPageToken?: string,
): string {
  let body = '';
  if (experiments.length > 0) {
    body = '"experiments":[';
    for (let i = 0; i < experiments.length; i++) {
      body += (i === 0 ? '' : ',') + experimentJson(experiments[i] as Experiment);
    }
    body += ']';
  }
  return withToken(body, nextPageToken);
}

/** `{"run": ...}` of runs/get; runs/create omits `inputs`, as MLflow's does. */
export function runResponse(run: Run, withInputs = true): string {
  return `{"run":${runJson(run, withInputs)}}`;
}

/** `{"run_info": ...}` of runs/update. */
export function runInfoResponse(info: RunInfo): string {
  return `{"run_info":${runInfoJson(info)}}`;
}

/** A search-runs page; `{}` when empty, `next_page_token` only when given. */
export function searchRunsResponse(runs: readonly Run[], nextPageToken?: string): string {
  let body = '';
  if (runs.length > 0) {
    body = '"runs":[';
    for (let i = 0; i < runs.length; i++) body += (i === 0 ? '' : ',') + runJson(runs[i] as Run, true);
    body += ']';
  }
  return withToken(body, nextPageToken);
}

/** A metric point as protobuf-JSON: a finite value stays a number, the others become their names. */
interface WireMetric {
  key: string;
  value: WireNumber;
  timestamp: number;
  step: number;
}

/**
 * A metric history in one page: `{"metrics":[...]}`, or `{}` when there are no points. Measured on
 * 100k points, native JSON.stringify over fresh same-shaped objects is 2-3x faster than building the
 * text in JS (its number formatting is native and its output flat), so this writer is the exception.
 */
export function metricHistoryResponse(metrics: readonly Metric[]): string {
  if (metrics.length === 0) return EMPTY_RESPONSE;
  const points = new Array<WireMetric>(metrics.length);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i] as Metric;
    const value = Number.isFinite(m.value) ? m.value : encodeWireNumber(m.value);
    points[i] = { key: m.key, value, timestamp: m.timestamp, step: m.step };
  }
  return JSON.stringify({ metrics: points });
}

/** An mlflow-artifacts listing: names relative to the listed directory; `{}` when empty. */
export function fileListResponse(entries: readonly ArtifactEntry[]): string {
  if (entries.length === 0) return EMPTY_RESPONSE;
  let body = '{"files":[';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as ArtifactEntry;
    // MLflow answers basenames; it also omits a zero size (proto default), so empty files have none.
    body += `${i === 0 ? '' : ','}{"path":${quote(basename(e.path))},"is_dir":${e.isDir}`;
    if (!e.isDir && e.fileSize) body += `,"file_size":${e.fileSize}`;
    body += '}';
  }
  return `${body}]}`;
}

/** One experiment. Zero times are omitted, as MLflow's `Experiment.to_proto` does. */
export function experimentJson(e: Experiment): string {
  let s = `{"experiment_id":${quote(e.experimentId)},"name":${quote(e.name)},"artifact_location":${quote(e.artifactLocation)},"lifecycle_stage":${quote(e.lifecycleStage)}`;
  if (e.lastUpdateTime) s += `,"last_update_time":${e.lastUpdateTime}`;
  if (e.creationTime) s += `,"creation_time":${e.creationTime}`;
  const tags = keyValuesJson(e.tags);
  if (tags) s += `,"tags":${tags}`;
  return `${s}}`;
}

/** One run: info, data (always present, maybe `{}`) and, unless told otherwise, inputs. */
export function runJson(run: Run, withInputs: boolean): string {
  const inputs = withInputs ? `,"inputs":${datasetInputsJson(run.inputs.datasetInputs)}` : '';
  return `{"info":${runInfoJson(run.info)},"data":${runDataJson(run.data)}${inputs}}`;
}

/** Run info with both `run_uuid` and `run_id`; `end_time` only once set. */
export function runInfoJson(i: RunInfo): string {
  const id = quote(i.runId);
  let s = `{"run_uuid":${id},"experiment_id":${quote(i.experimentId)},"run_name":${quote(i.runName)},"user_id":${quote(i.userId)},"status":${quote(i.status)},"start_time":${i.startTime}`;
  if (i.endTime) s += `,"end_time":${i.endTime}`;
  if (i.artifactUri) s += `,"artifact_uri":${quote(i.artifactUri)}`;
  return `${s},"lifecycle_stage":${quote(i.lifecycleStage)},"run_id":${id}}`;
}

function runDataJson(data: RunData): string {
  let s = '';
  if (data.metrics.length > 0) {
    s = '"metrics":[';
    for (let i = 0; i < data.metrics.length; i++)
      s += (i === 0 ? '' : ',') + metricJson(data.metrics[i] as Metric);
    s += ']';
  }
  const params = keyValuesJson(data.params);
  if (params) s += `${s ? ',' : ''}"params":${params}`;
  const tags = keyValuesJson(data.tags);
  if (tags) s += `${s ? ',' : ''}"tags":${tags}`;
  return `{${s}}`;
}

function metricJson(m: Metric): string {
  return `{"key":${quote(m.key)},"value":${double(m.value)},"timestamp":${m.timestamp},"step":${m.step}}`;
}

function datasetInputsJson(inputs: readonly DatasetInput[]): string {
  if (inputs.length === 0) return EMPTY_RESPONSE;
  let s = '{"dataset_inputs":[';
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as DatasetInput;
    const d = input.dataset;
    const tags = keyValuesJson(input.tags);
    s += `${i === 0 ? '' : ','}{${tags ? `"tags":${tags},` : ''}"dataset":{"name":${quote(d.name)},"digest":${quote(d.digest)},"source_type":${quote(d.sourceType)},"source":${quote(d.source)}`;
    if (d.schema) s += `,"schema":${quote(d.schema)}`;
    if (d.profile) s += `,"profile":${quote(d.profile)}`;
    s += '}}';
  }
  return `${s}]}`;
}

/** `[{"key":..,"value":..},...]`, or '' for an empty map (repeated fields are omitted when empty). */
function keyValuesJson(map: StringMap): string {
  let s = '';
  for (const key of Object.keys(map)) {
    s += `${s ? ',' : '['}{"key":${quote(key)},"value":${quote(map[key] ?? '')}}`;
  }
  return s ? `${s}]` : '';
}

/** A double as protobuf-JSON: finite values as numbers, the rest as their string names. */
function double(value: number): string {
  return Number.isFinite(value) ? `${value}` : quote(encodeWireNumber(value) as string);
}

function withToken(body: string, nextPageToken: string | undefined): string {
  if (!nextPageToken) return `{${body}}`;
  return `{${body}${body ? ',' : ''}"next_page_token":${quote(nextPageToken)}}`;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}
