/**
 * The one place where errors become MLflow error responses: each Slipway code maps to the MLflow
 * `error_code` name and the HTTP status MLflow 2.12 answers for it (ERROR_CODE_TO_HTTP_STATUS in
 * mlflow/exceptions.py: RESOURCE_ALREADY_EXISTS and INVALID_PARAMETER_VALUE are 400, not 409/413).
 */
import type { ErrorCode } from '@slipway/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toSlipwayError } from '../../error-mapping.js';

/** MLflow's wire shape of every error response. */
export interface MlflowErrorBody {
  error_code: string;
  message: string;
}

/** Content type of every JSON response of the compat layer (what MLflow's Flask handlers send). */
export const JSON_CONTENT_TYPE = 'application/json';

const MLFLOW_ERRORS: Record<ErrorCode, { status: number; errorCode: string }> = {
  INVALID_ARGUMENT: { status: 400, errorCode: 'INVALID_PARAMETER_VALUE' },
  NOT_FOUND: { status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' },
  ALREADY_EXISTS: { status: 400, errorCode: 'RESOURCE_ALREADY_EXISTS' },
  // MLflow reports writes to deleted runs/experiments as INVALID_PARAMETER_VALUE, and clients rely on it.
  FAILED_PRECONDITION: { status: 400, errorCode: 'INVALID_PARAMETER_VALUE' },
  PAYLOAD_TOO_LARGE: { status: 400, errorCode: 'INVALID_PARAMETER_VALUE' },
  RESOURCE_EXHAUSTED: { status: 429, errorCode: 'REQUEST_LIMIT_EXCEEDED' },
  UNAVAILABLE: { status: 503, errorCode: 'TEMPORARILY_UNAVAILABLE' },
  INTERNAL: { status: 500, errorCode: 'INTERNAL_ERROR' },
};

/** MLflow status and body for any thrown value (non-Slipway errors are INTERNAL_ERROR without internals). */
export function mlflowErrorResponse(err: unknown): { status: number; body: MlflowErrorBody } {
  const e = toSlipwayError(err);
  const { status, errorCode } = MLFLOW_ERRORS[e.code];
  return { status, body: { error_code: errorCode, message: e.message } };
}

/** Fastify error handler for the compat scope: logs 5xx with their stack, answers MLflow's error body. */
export function mlflowErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = mlflowErrorResponse(err);
  if (status >= 500) request.log.error({ err }, 'MLflow compat request failed');
  void reply.status(status).header('content-type', JSON_CONTENT_TYPE).send(body);
}

/** Handler for unknown paths under the MLflow prefixes: 404 ENDPOINT_NOT_FOUND, as MLflow's REST clients expect. */
export async function endpointNotFound(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<MlflowErrorBody> {
  void reply.status(404).header('content-type', JSON_CONTENT_TYPE);
  const path = request.url.split('?', 1)[0] ?? request.url;
  return {
    error_code: 'ENDPOINT_NOT_FOUND',
    message: `No MLflow API endpoint for ${request.method} ${path}`,
  };
}
