import { describe, expect, it } from 'vitest';
import { decodeWireNumber, encodeWireNumber } from '../src/index.js';

describe('wire numbers', () => {
  it('round-trips finite and non-finite values', () => {
    for (const v of [0, -1.5, 1e308, Number.NaN, Infinity, -Infinity]) {
      expect(Object.is(decodeWireNumber(encodeWireNumber(v)), v)).toBe(true);
    }
    expect(encodeWireNumber(Number.NaN)).toBe('NaN');
    expect(encodeWireNumber(-Infinity)).toBe('-Infinity');
  });

  it('accepts protobuf-JSON numeric strings and rejects garbage', () => {
    expect(decodeWireNumber('42')).toBe(42);
    expect(decodeWireNumber(' 1e3 ')).toBe(1000);
    expect(decodeWireNumber('')).toBeUndefined();
    expect(decodeWireNumber('abc')).toBeUndefined();
    expect(decodeWireNumber(null)).toBeUndefined();
    expect(decodeWireNumber(true)).toBeUndefined();
  });
});
