import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { decodePageToken, encodePageToken } from '../../src/tracking/page-token.js';

describe('encodePageToken', () => {
  // Expected values are Python's base64.b64encode(json.dumps({"offset": n}).encode()).
  it.each([
    [0, 'eyJvZmZzZXQiOiAwfQ=='],
    [1, 'eyJvZmZzZXQiOiAxfQ=='],
    [100, 'eyJvZmZzZXQiOiAxMDB9'],
    [123456789, 'eyJvZmZzZXQiOiAxMjM0NTY3ODl9'],
  ])('encodes %i like MLflow', (offset, token) => {
    expect(encodePageToken(offset)).toBe(token);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses offset %d', (offset) => {
    expect(() => encodePageToken(offset)).toThrow(RangeError);
  });
});

describe('decodePageToken', () => {
  it.each([undefined, ''])('treats %j as the first page', (token) => {
    expect(decodePageToken(token)).toBe(0);
  });

  it.each([0, 1, 50, 1000, Number.MAX_SAFE_INTEGER])('round-trips %i', (offset) => {
    expect(decodePageToken(encodePageToken(offset))).toBe(offset);
  });

  it('accepts tokens without padding and URL-safe tokens', () => {
    expect(decodePageToken('eyJvZmZzZXQiOiAxfQ')).toBe(1);
    const urlSafe = Buffer.from('{"offset":62}').toString('base64url');
    expect(decodePageToken(urlSafe)).toBe(62);
    expect(decodePageToken(Buffer.from('{"offset":5}').toString('base64'))).toBe(5);
  });

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  it.each([
    ['not base64 at all!', 'not a base64 page token'],
    ['eyJvZmZz ZXQiOiAxfQ==', 'not a base64 page token'],
    ['a', 'not a base64 page token'],
    ['abc===', 'not a base64 page token'],
    ['ab=c', 'not a base64 page token'],
    ['A'.repeat(300), 'not a base64 page token'],
    [b64('offset=5'), 'does not decode to a page token'],
    [b64('{"offset": 5'), 'does not decode to a page token'],
    [b64('{}'), 'does not hold a non-negative integer offset'],
    [b64('null'), 'does not hold a non-negative integer offset'],
    [b64('5'), 'does not hold a non-negative integer offset'],
    [b64('{"offset": "5"}'), 'does not hold a non-negative integer offset'],
    [b64('{"offset": -1}'), 'does not hold a non-negative integer offset'],
    [b64('{"offset": 1.5}'), 'does not hold a non-negative integer offset'],
    [b64('{"offset": 1e300}'), 'does not hold a non-negative integer offset'],
  ])('rejects %s', (token, reason) => {
    let error: unknown;
    try {
      decodePageToken(token);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SlipwayError);
    const e = error as SlipwayError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details.field).toBe('page_token');
    expect(e.message).toContain(`Invalid page_token '${token.slice(0, 40)}`);
    expect(e.message).toContain(reason);
  });

  it('names the field it was given', () => {
    expect(() => decodePageToken('!!', 'next_page_token')).toThrow(
      expect.objectContaining({ details: { field: 'next_page_token' } }),
    );
  });
});
