/**
 * Typed errors of the SDK: every non-2xx answer becomes a `SlipwayApiError` subclass chosen by the
 * body's error code, so callers can `catch (e) { if (e instanceof NotFoundError) ... }`.
 */
import { SlipwayError, isErrorCode, type ErrorCode, type ErrorDetails } from '@slipway/contracts';

/** An error answered by (or on the way to) a Slipway server; `status` is the HTTP status, 0 if none arrived. */
export class SlipwayApiError extends SlipwayError {
  /** HTTP status of the response (0 when the request never got one). */
  readonly status: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails, status: number, cause?: unknown) {
    super(code, message, details);
    this.name = new.target.name;
    this.status = status;
    if (cause !== undefined) this.cause = cause;
  }
}

/** Arguments of the code-specific subclasses (the code is implied by the class). */
type SubclassArgs = [message: string, details: ErrorDetails, status: number, cause?: unknown];

/** INVALID_ARGUMENT: the request was malformed; `details.field` names the offending input. */
export class InvalidArgumentError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('INVALID_ARGUMENT', message, details, status, cause);
  }
}

/** NOT_FOUND: the experiment, run, artifact or route does not exist. */
export class NotFoundError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('NOT_FOUND', message, details, status, cause);
  }
}

/** ALREADY_EXISTS: e.g. an experiment name is taken. */
export class AlreadyExistsError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('ALREADY_EXISTS', message, details, status, cause);
  }
}

/** FAILED_PRECONDITION: the target is in the wrong state (e.g. writing to a deleted run). */
export class FailedPreconditionError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('FAILED_PRECONDITION', message, details, status, cause);
  }
}

/** PAYLOAD_TOO_LARGE: the request body exceeded the server's limit. */
export class PayloadTooLargeError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('PAYLOAD_TOO_LARGE', message, details, status, cause);
  }
}

/** RESOURCE_EXHAUSTED: a rate limit refused the request; `details.retryAfterSeconds` says when to retry. */
export class ResourceExhaustedError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('RESOURCE_EXHAUSTED', message, details, status, cause);
  }
}

/** UNAVAILABLE: the server could not be reached or is temporarily unable to answer; retrying may help. */
export class UnavailableError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('UNAVAILABLE', message, details, status, cause);
  }
}

/** INTERNAL: the server failed, or answered something that is not a Slipway error body. */
export class InternalError extends SlipwayApiError {
  constructor(...[message, details, status, cause]: SubclassArgs) {
    super('INTERNAL', message, details, status, cause);
  }
}

const CLASS_BY_CODE: Record<ErrorCode, new (...args: SubclassArgs) => SlipwayApiError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  ALREADY_EXISTS: AlreadyExistsError,
  FAILED_PRECONDITION: FailedPreconditionError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  UNAVAILABLE: UnavailableError,
  INTERNAL: InternalError,
};

/** Builds the typed error for a code. */
export function apiError(code: ErrorCode, ...args: SubclassArgs): SlipwayApiError {
  return new CLASS_BY_CODE[code](...args);
}

/** Statuses a gateway or proxy answers when the server behind it is down. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** Decodes a non-2xx response body; anything that is not a Slipway error body is INTERNAL/UNAVAILABLE. */
export function errorFromResponse(status: number, statusText: string, bodyText: string): SlipwayApiError {
  const parsed = parseErrorBody(bodyText);
  if (parsed) return apiError(parsed.code, parsed.message, parsed.details, status);
  const snippet = bodyText.trim().slice(0, 200);
  const message = `Unexpected HTTP ${status}${statusText ? ` ${statusText}` : ''} from server${snippet ? `: ${snippet}` : ''}`;
  return apiError(GATEWAY_STATUSES.has(status) ? 'UNAVAILABLE' : 'INTERNAL', message, {}, status);
}

/** The error for a request that never got a response (refused, reset, DNS, aborted). */
export function networkError(url: string, cause: unknown): UnavailableError {
  const reason = cause instanceof Error ? describeNetworkCause(cause) : String(cause);
  return new UnavailableError(`Could not reach Slipway at ${url}: ${reason}`, {}, 0, cause);
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, ...) is in its cause. */
function describeNetworkCause(err: Error): string {
  const inner = err.cause;
  if (inner instanceof Error && inner.message) return `${err.message} (${inner.message})`;
  return err.message;
}

function parseErrorBody(
  text: string,
): { code: ErrorCode; message: string; details: ErrorDetails } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = isObject(body) ? body['error'] : undefined;
  if (!isObject(error) || !isErrorCode(error['code']) || typeof error['message'] !== 'string')
    return undefined;
  const details = isObject(error['details']) ? (error['details'] as ErrorDetails) : {};
  return { code: error['code'], message: error['message'], details };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
