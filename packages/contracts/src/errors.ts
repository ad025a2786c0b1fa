/**
 * Slipway's one error taxonomy. Every failure that crosses a boundary carries one of these codes;
 * the HTTP edge maps them to statuses (see `httpStatusForCode`) and the SDK maps them back.
 */

/** The closed list of stable error codes. Adding one is a contract change: update docs/errors.md. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'PAYLOAD_TOO_LARGE',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

/** A stable Slipway error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Structured context an error may carry: the offending field, a position in a filter string, etc. */
export interface ErrorDetails {
  /** Dotted path of the offending input field, e.g. `metrics[3].value`. */
  field?: string;
  /** Zero-based character offset into a filter or order-by expression. */
  position?: number;
  [key: string]: unknown;
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** HTTP status that the native API answers for a code. */
export function httpStatusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** True when `value` is one of the stable codes (used when decoding untrusted error bodies). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The one error class thrown by Slipway services and rebuilt by the SDK from error bodies. */
export class SlipwayError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Structured context (field, position, ...). */
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'SlipwayError';
    this.code = code;
    this.details = details;
  }
}

/** Shorthand for an INVALID_ARGUMENT error naming the offending field. */
export function invalidArgument(field: string, message: string, extra: ErrorDetails = {}): SlipwayError {
  return new SlipwayError('INVALID_ARGUMENT', message, { field, ...extra });
}

/** Shorthand for a NOT_FOUND error. */
export function notFound(message: string, details: ErrorDetails = {}): SlipwayError {
  return new SlipwayError('NOT_FOUND', message, details);
}

/** Wire shape of every native API error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetails };
}
