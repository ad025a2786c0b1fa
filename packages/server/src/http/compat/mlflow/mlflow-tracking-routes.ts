/**
 * MLflow 2.12 tracking endpoints (`MlflowService` in service.proto) mapped onto TrackingService:
 * read the wire fields, call one use case, write the protobuf-JSON answer. No tracking rule lives here.
 */
import { RUN_STATUSES, VIEW_TYPES, SlipwayError, invalidArgument } from '@slipway/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { TrackingService } from '../../../tracking/tracking-service.js';
import { JSON_CONTENT_TYPE } from './mlflow-errors.js';
import {
  datasetInputList,
  fieldsOf,
  isQueryRequest,
  metricList,
  optionalEnum,
  optionalInt64,
  optionalKeyValues,
  optionalString,
  optionalStringList,
  requiredDouble,
  requiredInt64,
  requiredRunId,
  requiredString,
  type Fields,
} from './mlflow-request.js';
import {
  EMPTY_RESPONSE,
  createExperimentResponse,
  experimentResponse,
  metricHistoryResponse,
  runInfoResponse,
  runResponse,
  searchExperimentsResponse,
  searchRunsResponse,
} from './mlflow-wire.js';

/** One endpoint: methods, path below `<prefix>/mlflow` and a handler answering protobuf-JSON text. */
interface Endpoint {
  methods: HTTPMethods[];
  path: string;
  handle: (f: Fields, request: FastifyRequest) => Promise<string>;
}

/** Registers every tracking endpoint under `<prefix>/mlflow/...` (prefix `/api/2.0` or `/ajax-api/2.0`). */
export function registerMlflowTrackingRoutes(
  app: FastifyInstance,
  prefix: string,
  tracking: TrackingService,
): void {
  for (const endpoint of [...experimentEndpoints(tracking), ...runEndpoints(tracking)]) {
    const handle = endpoint.handle;
    app.route({
      method: endpoint.methods,
      url: `${prefix}/mlflow/${endpoint.path}`,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = await handle(fieldsOf(request), request);
        void reply.header('content-type', JSON_CONTENT_TYPE);
        return body;
      },
    });
  }
}

function experimentEndpoints(tracking: TrackingService): Endpoint[] {
  return [
    post('experiments/create', async (f) => {
      const experiment = await tracking.createExperiment({
        name: requiredString(f, 'name'),
        artifactLocation: optionalString(f, 'artifact_location'),
        tags: optionalKeyValues(f, 'tags'),
      });
      return createExperimentResponse(experiment.experimentId);
    }),
    get('experiments/get', async (f) =>
      experimentResponse(await tracking.getExperiment(requiredString(f, 'experiment_id'))),
    ),
    get('experiments/get-by-name', async (f) =>
      experimentResponse(await tracking.getExperimentByName(requiredString(f, 'experiment_name'))),
    ),
    { methods: ['POST', 'GET'], path: 'experiments/search', handle: searchExperiments(tracking) },
    post('experiments/update', async (f) => {
      await tracking.renameExperiment(requiredString(f, 'experiment_id'), requiredString(f, 'new_name'));
      return EMPTY_RESPONSE;
    }),
    post('experiments/delete', async (f) => {
      await tracking.deleteExperiment(requiredString(f, 'experiment_id'));
      return EMPTY_RESPONSE;
    }),
    post('experiments/restore', async (f) => {
      await tracking.restoreExperiment(requiredString(f, 'experiment_id'));
      return EMPTY_RESPONSE;
    }),
    post('experiments/set-experiment-tag', async (f) => {
      const id = requiredString(f, 'experiment_id');
      await tracking.setExperimentTag(id, requiredString(f, 'key'), optionalString(f, 'value') ?? '');
      return EMPTY_RESPONSE;
    }),
  ];
}

function searchExperiments(tracking: TrackingService): Endpoint['handle'] {
  return async (f, request) => {
    const page = await tracking.searchExperiments({
      filter: optionalString(f, 'filter'),
      orderBy: optionalStringList(f, 'order_by', isQueryRequest(request)),
      maxResults: optionalInt64(f, 'max_results'),
      pageToken: optionalString(f, 'page_token'),
      viewType: optionalEnum(f, 'view_type', VIEW_TYPES),
    });
    return searchExperimentsResponse(page.items, page.nextPageToken);
  };
}

function runEndpoints(tracking: TrackingService): Endpoint[] {
  return [
    post('runs/create', async (f) => {
      const run = await tracking.createRun({
        experimentId: requiredString(f, 'experiment_id'),
        userId: optionalString(f, 'user_id'),
        runName: optionalString(f, 'run_name'),
        startTime: optionalInt64(f, 'start_time'),
        tags: optionalKeyValues(f, 'tags'),
      });
      return runResponse(run, false);
    }),
    get('runs/get', async (f) => runResponse(await tracking.getRun(requiredRunId(f)))),
    post('runs/update', async (f) => {
      const info = await tracking.updateRun(requiredRunId(f), {
        status: optionalEnum(f, 'status', RUN_STATUSES),
        endTime: optionalInt64(f, 'end_time'),
        runName: optionalString(f, 'run_name'),
      });
      return runInfoResponse(info);
    }),
    post('runs/delete', async (f) => {
      await tracking.deleteRun(requiredRunId(f));
      return EMPTY_RESPONSE;
    }),
    post('runs/restore', async (f) => {
      await tracking.restoreRun(requiredRunId(f));
      return EMPTY_RESPONSE;
    }),
    ...runLoggingEndpoints(tracking),
    post('runs/search', async (f) => {
      const page = await tracking.searchRuns({
        experimentIds: optionalStringList(f, 'experiment_ids', false) ?? [],
        filter: optionalString(f, 'filter'),
        orderBy: optionalStringList(f, 'order_by', false),
        maxResults: optionalInt64(f, 'max_results'),
        pageToken: optionalString(f, 'page_token'),
        viewType: optionalEnum(f, 'run_view_type', VIEW_TYPES),
      });
      return searchRunsResponse(page.items, page.nextPageToken);
    }),
    get('metrics/get-history', getMetricHistory(tracking)),
  ];
}

function runLoggingEndpoints(tracking: TrackingService): Endpoint[] {
  return [
    post('runs/log-metric', async (f) => {
      const runId = requiredRunId(f);
      await tracking.logMetric(runId, {
        key: requiredString(f, 'key'),
        value: requiredDouble(f, 'value'),
        timestamp: requiredInt64(f, 'timestamp'),
        step: optionalInt64(f, 'step') ?? 0,
      });
      return EMPTY_RESPONSE;
    }),
    post('runs/log-parameter', async (f) => {
      const runId = requiredRunId(f);
      await tracking.logParam(runId, requiredString(f, 'key'), optionalString(f, 'value') ?? '');
      return EMPTY_RESPONSE;
    }),
    post('runs/set-tag', async (f) => {
      const runId = requiredRunId(f);
      await tracking.setTag(runId, requiredString(f, 'key'), optionalString(f, 'value') ?? '');
      return EMPTY_RESPONSE;
    }),
    post('runs/delete-tag', async (f) => {
      await tracking.deleteTag(requiredRunId(f), requiredString(f, 'key'));
      return EMPTY_RESPONSE;
    }),
    post('runs/log-batch', async (f) => {
      const runId = requiredRunId(f);
      await tracking.logBatch(runId, {
        metrics: metricList(f),
        params: optionalKeyValues(f, 'params', { unique: true }) ?? {},
        tags: optionalKeyValues(f, 'tags') ?? {},
      });
      return EMPTY_RESPONSE;
    }),
    post('runs/log-inputs', async (f) => {
      const runId = requiredRunId(f);
      await tracking.logInputs(runId, datasetInputList(f));
      return EMPTY_RESPONSE;
    }),
    post('runs/log-model', async (f) => {
      const runId = requiredRunId(f);
      await tracking.logModel(runId, parseModelJson(requiredString(f, 'model_json')));
      return EMPTY_RESPONSE;
    }),
  ];
}

/**
 * The whole history in one page: `max_results` and `page_token` are ignored, as MLflow 2.12's SQL
 * store does. An unknown run answers `{}` (200) like MLflow rather than 404; clients rely on neither.
 */
function getMetricHistory(tracking: TrackingService): Endpoint['handle'] {
  return async (f) => {
    const runId = requiredRunId(f);
    const key = requiredString(f, 'metric_key');
    try {
      return metricHistoryResponse((await tracking.getMetricHistory(runId, key)).items);
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'NOT_FOUND' && err.details.field === 'run_id') {
        return EMPTY_RESPONSE;
      }
      throw err;
    }
  };
}

/** `model_json` is a JSON object serialized into a string field (MLflow's LogModel message). */
function parseModelJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument('model_json', `Malformed model info: 'model_json' is not valid JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('model_json', `Malformed model info: 'model_json' must be a JSON object.`);
  }
  return parsed as Record<string, unknown>;
}

function get(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['GET'], path, handle };
}

function post(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['POST'], path, handle };
}
