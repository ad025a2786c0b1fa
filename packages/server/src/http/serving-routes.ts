/**
 * The serving data plane over HTTP, three protocols on the same endpoints:
 * - Slipway JSON: `POST /v1/endpoints/{name}/predict`;
 * - MLflow scoring: `POST /v1/endpoints/{name}/invocations` (and `POST /invocations` for a process
 *   started for one endpoint);
 * - Open Inference Protocol v2: `/v2/health/{live,ready}`, `/v2/models/{name}[/ready]`,
 *   `POST /v2/models/{name}/infer`, where the model name is the endpoint name.
 * Each protocol answers errors in its own shape; the codes and statuses are the one taxonomy's.
 */
import { randomUUID } from 'node:crypto';
import { httpStatusForCode } from '@slipway/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toSlipwayError } from './error-mapping.js';
import {
  decodeMlflowRequest,
  mlflowBodyKind,
  encodeMlflowResponse,
} from '../serving/protocols/mlflow-invocations.js';
import { decodeMlflowCsv } from '../serving/protocols/csv.js';
import { buildOipModelMetadata, decodeOipRequest, encodeOipResponse } from '../serving/protocols/oip-v2.js';
import { decodeSlipwayRequest, encodeSlipwayResponse } from '../serving/protocols/slipway-json.js';
import type { PredictInput, ServingManager } from '../serving/serving-manager.js';
import type { ServingMetrics } from '../serving/serving-metrics.js';

/** Options of the data plane. */
export interface ServingRouteOptions {
  /** The endpoint `POST /invocations` and the OIP health checks refer to (a `slipway serve --endpoint` process). */
  defaultEndpoint?: string;
  /** Request metrics, rendered at `GET /metrics`. */
  metrics?: ServingMetrics;
}

interface NameParams {
  name: string;
}

/** The caller's request id, or a fresh one; echoed in `x-request-id`. */
function requestIdOf(request: FastifyRequest, reply: FastifyReply): string {
  const given = request.headers['x-request-id'];
  const id = typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : randomUUID();
  void reply.header('x-request-id', id);
  return id;
}

/** Registers the Slipway JSON and MLflow routes (errors in the native shape / MLflow's shape). */
export function registerServingRoutes(
  app: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions = {},
): void {
  registerOperations(app, manager, options);
  void app.register(async (slipway) => {
    countRequests(slipway, 'slipway', options);
    slipway.post<{ Params: NameParams & { api: string } }>(
      '/v1/endpoints/:name/apis/:api/predict',
      async (request, reply) => {
        const requestId = requestIdOf(request, reply);
        const decoded = decodeSlipwayRequest(request.body);
        const result = await manager.predictApi(request.params.name, request.params.api, {
          rows: decoded.rows,
          source: decoded.source,
          protocol: 'slipway',
          requestId,
          ...(decoded.routingKey === undefined ? {} : { routingKey: decoded.routingKey }),
        });
        void reply.headers({ ...result.headers, 'x-slipway-api-version': request.params.api });
        return encodeSlipwayResponse({ ...result, predictions: result.outputs });
      },
    );
    slipway.post<{ Params: NameParams }>('/v1/endpoints/:name/predict', async (request, reply) => {
      const requestId = requestIdOf(request, reply);
      const decoded = decodeSlipwayRequest(request.body);
      const input: PredictInput = {
        rows: decoded.rows,
        source: decoded.source,
        protocol: 'slipway',
        requestId,
      };
      if (decoded.routingKey !== undefined) input.routingKey = decoded.routingKey;
      const result = await manager.predict(request.params.name, input);
      return encodeSlipwayResponse({
        endpoint: result.endpoint,
        modelName: result.modelName,
        modelVersion: result.modelVersion,
        arm: result.arm,
        predictionIds: result.predictionIds,
        predictions: result.outputs,
        warnings: result.warnings,
      });
    });
  });
  void app.register(async (mlflow) => {
    countRequests(mlflow, 'mlflow', options);
    // MLflow's scoring server also takes CSV (a header row, then records).
    mlflow.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    mlflow.setErrorHandler((err, _request, reply) => {
      const e = toSlipwayError(err);
      void reply
        .status(httpStatusForCode(e.code))
        .send({ error_code: mlflowCode(e.code), message: e.message });
    });
    const invocations = async (
      name: string,
      request: FastifyRequest,
      reply: FastifyReply,
    ): Promise<unknown> => {
      const kind = mlflowBodyKind(request.headers['content-type']);
      const requestId = requestIdOf(request, reply);
      // One acquire: decoded by the live model of the set that then serves it.
      const { result } = await manager.predictDecoded(name, (live): PredictInput => {
        const decoded =
          kind === 'csv'
            ? decodeMlflowCsv(String(request.body ?? ''), live.model.contract)
            : decodeMlflowRequest(request.body, live.model.contract);
        return { rows: decoded.rows, source: decoded.source, protocol: 'mlflow', requestId };
      });
      void reply.header('x-slipway-prediction-ids', result.predictionIds.join(','));
      return encodeMlflowResponse(result.outputs, result.served.model.contract);
    };
    mlflow.post<{ Params: NameParams }>('/v1/endpoints/:name/invocations', (request, reply) =>
      invocations(request.params.name, request, reply),
    );
    const single = options.defaultEndpoint;
    if (single !== undefined)
      mlflow.post('/invocations', (request, reply) => invocations(single, request, reply));
  });
  void app.register(async (oip) => registerOipRoutes(oip, manager, options));
}

/** Open Inference Protocol v2 routes; errors are `{ "error": message }` as the protocol says. */
function registerOipRoutes(
  oip: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions,
): void {
  oip.setErrorHandler((err, _request, reply) => {
    const e = toSlipwayError(err);
    void reply.status(httpStatusForCode(e.code)).send({ error: e.message });
  });
  oip.get('/v2/health/live', async () => ({ live: true }));
  oip.get('/v2/health/ready', async (_request, reply) => {
    const name = options.defaultEndpoint;
    const ready = name === undefined || manager.isLoaded(name);
    void reply.status(ready ? 200 : 503);
    return { ready };
  });
  oip.get<{ Params: NameParams }>('/v2/models/:name', async (request) => {
    const live = await manager.liveModel(request.params.name);
    return buildOipModelMetadata(request.params.name, [live.version], live.model.contract);
  });
  oip.get<{ Params: NameParams }>('/v2/models/:name/ready', async (request) => {
    await manager.liveModel(request.params.name);
    return { name: request.params.name, ready: true };
  });
  oip.post<{ Params: NameParams }>('/v2/models/:name/infer', async (request, reply) => {
    const name = request.params.name;
    const requestId = requestIdOf(request, reply);
    // One acquire: decoded by the live model of the set that then serves it.
    const { input, result } = await manager.predictDecoded(name, (live) => {
      const decoded = decodeOipRequest(request.body, live.model.contract);
      const predictInput: PredictInput & { decoded: typeof decoded } = {
        rows: decoded.rows,
        source: decoded.source,
        protocol: 'oip-v2',
        requestId,
        decoded,
      };
      return predictInput;
    });
    const decoded = input.decoded;
    return encodeOipResponse({
      modelName: name,
      modelVersion: result.modelVersion,
      id: decoded.id ?? requestId,
      parameters: { ...(decoded.parameters ?? {}), prediction_ids: result.predictionIds, arm: result.arm },
      predictions: result.outputs,
      ...(result.served.model.contract === undefined ? {} : { contract: result.served.model.contract }),
      ...(decoded.requestedOutputs === undefined ? {} : { requestedOutputs: decoded.requestedOutputs }),
    });
  });
}

/** `/healthz` (the process answers), `/readyz` (it can serve now) and `/metrics` (Prometheus). */
function registerOperations(
  app: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const name = options.defaultEndpoint;
    const ready = manager.acceptingRequests() && (name === undefined || manager.isLoaded(name));
    void reply.status(ready ? 200 : 503);
    return { ready };
  });
  const metrics = options.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      void reply.header('content-type', contentType);
      return body;
    });
  }
}

/** Counts and times every predict request of a protocol scope, whatever its outcome. */
function countRequests(scope: FastifyInstance, protocol: string, options: ServingRouteOptions): void {
  const metrics = options.metrics;
  if (metrics === undefined) return;
  const ends = new WeakMap<FastifyRequest, (status: number) => void>();
  // Callback-style hooks: an async hook costs Fastify a promise and its resolution per request.
  scope.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'POST') {
      const name = (request.params as Partial<NameParams>).name ?? options.defaultEndpoint ?? '';
      ends.set(request, metrics.requestStarted(name, protocol));
    }
    done();
  });
  scope.addHook('onResponse', (request, reply, done) => {
    ends.get(request)?.(reply.statusCode);
    done();
  });
}

/** MLflow's scoring server speaks MLflow error codes. */
function mlflowCode(code: string): string {
  switch (code) {
    case 'INVALID_ARGUMENT':
      return 'BAD_REQUEST';
    case 'NOT_FOUND':
      return 'RESOURCE_DOES_NOT_EXIST';
    case 'PAYLOAD_TOO_LARGE':
      return 'BAD_REQUEST';
    case 'UNAVAILABLE':
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return code === 'INTERNAL' ? 'INTERNAL_ERROR' : 'INVALID_STATE';
  }
}
