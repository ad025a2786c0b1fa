import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber } from '../src/format.js';

describe('formatting', () => {
  it('writes metric values briefly, keeping non-finite ones readable', () => {
    expect(formatNumber(0.123456789)).toBe('0.12346');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(1.5e-7)).toBe('1.500e-7');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(formatNumber(undefined)).toBe('');
  });

  it('writes durations in the largest fitting unit', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(7_800_000)).toBe('2h 10m');
    expect(formatDuration(undefined)).toBe('');
  });
});
