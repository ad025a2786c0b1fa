/**
 * Opaque page tokens: base64 of `{"offset": n}`, the same shape MLflow's tracking server hands
 * out. Clients must treat them as opaque; only this module reads or writes the inside.
 */
import { Buffer } from 'node:buffer';
import { invalidArgument } from '@slipway/contracts';

// Far longer than any token this module writes; bounds the work spent on hostile input.
const MAX_TOKEN_LENGTH = 256;

/** Encodes a row offset as an opaque page token. */
export function encodePageToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`page offset must be a non-negative integer, got ${offset}`);
  }
  // Spacing matches Python's json.dumps so tokens are byte-identical to MLflow's.
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
}

/** Decodes a page token into a row offset; absent or empty → 0, anything malformed → INVALID_ARGUMENT on `field`. */
export function decodePageToken(token: string | undefined, field = 'page_token'): number {
  if (token === undefined || token === '') return 0;
  const reject = (why: string): never => {
    const shown = token.length > 40 ? `${token.slice(0, 40)}...` : token;
    throw invalidArgument(
      field,
      `Invalid ${field} '${shown}': ${why}; pass the token from the previous page`,
    );
  };
  if (token.length > MAX_TOKEN_LENGTH || !isBase64(token)) return reject('not a base64 page token');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return reject('does not decode to a page token');
  }
  const offset =
    typeof parsed === 'object' && parsed !== null ? (parsed as { offset?: unknown }).offset : undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    return reject('does not hold a non-negative integer offset');
  }
  return offset;
}

/**
 * Strict check because Buffer's decoder silently skips characters outside the alphabet. Accepts
 * the standard and URL-safe alphabets with optional `=` padding.
 */
function isBase64(token: string): boolean {
  let end = token.length;
  while (end > 0 && token[end - 1] === '=') end--;
  if (token.length - end > 2 || end % 4 === 1) return false;
  if (token.length !== end && token.length % 4 !== 0) return false;
  for (let i = 0; i < end; i++) {
    const c = token.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47 ||
      c === 45 ||
      c === 95;
    if (!ok) return false;
  }
  return true;
}
