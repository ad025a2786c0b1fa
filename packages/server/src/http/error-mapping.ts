/**
 * The one place where errors become HTTP responses for the native API. Anything that is not a
 * SlipwayError is an INTERNAL error: logged with its stack, answered without internals.
 */
import { SlipwayError, httpStatusForCode, type ErrorBody } from '@slipway/contracts';

/** Shape of Fastify's schema-validation error (ajv) that we translate into INVALID_ARGUMENT. */
interface ValidationFailure {
  validation: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
  message: string;
}

function isValidationFailure(err: unknown): err is ValidationFailure {
  return (
    typeof err === 'object' && err !== null && Array.isArray((err as { validation?: unknown }).validation)
  );
}

/** Dotted field path (`metrics[2].value`) from an ajv instance path (`/metrics/2/value`). */
function fieldFromInstancePath(path: string, missing: unknown): string {
  const parts = path.split('/').filter(Boolean);
  if (typeof missing === 'string') parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Converts any thrown value into a SlipwayError (schema failures become INVALID_ARGUMENT naming the field). */
export function toSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  if (isValidationFailure(err)) {
    const first = err.validation[0];
    const field = fieldFromInstancePath(first?.instancePath ?? '', first?.params?.['missingProperty']);
    const where = field ? `'${field}'` : `request ${err.validationContext ?? 'body'}`;
    return new SlipwayError(
      'INVALID_ARGUMENT',
      `Invalid value for ${where}: ${first?.message ?? err.message}`,
      {
        field: field || (err.validationContext ?? 'body'),
      },
    );
  }
  const status = (err as { statusCode?: number } | null)?.statusCode;
  if (status === 413) return new SlipwayError('PAYLOAD_TOO_LARGE', 'Request body is too large.');
  if (status !== undefined && status >= 400 && status < 500) {
    return new SlipwayError('INVALID_ARGUMENT', (err as Error).message || 'Bad request.', { field: 'body' });
  }
  return new SlipwayError('INTERNAL', 'Internal server error.');
}

/** Native API error response: status and body for a thrown value. */
export function nativeErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  const e = toSlipwayError(err);
  const hasDetails = Object.keys(e.details).length > 0;
  return {
    status: httpStatusForCode(e.code),
    body: { error: { code: e.code, message: e.message, ...(hasDetails ? { details: e.details } : {}) } },
  };
}
