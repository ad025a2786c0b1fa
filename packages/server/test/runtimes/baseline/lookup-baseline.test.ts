import { describe, expect, it } from 'vitest';
import {
  fitLookupBaseline,
  loadLookupBaseline,
  parseDuration,
  parseTimestamp,
} from '../../../src/runtimes/baseline/lookup-baseline.js';
import { refusal } from '../../helpers/refusal.js';

const hour = (h: number): string => `2026-01-05T${String(h).padStart(2, '0')}:00:00Z`;

// Two stores, hourly: store A 00:00..04:00 → 10..14, store B 00:00..02:00 → 100..102, one null.
const HISTORY = [
  ...[10, 11, 12, 13, 14].map((sales, h) => ({ store: 'A', at: hour(h), sales })),
  ...[100, 101, 102].map((sales, h) => ({ store: 'B', at: hour(h), sales })),
  { store: 'B', at: hour(3), sales: null },
];
const OPTIONS = { key: ['store'], time: 'at', lag: 'PT2H', target: 'sales' };

describe('parseDuration', () => {
  const ok: [string, number][] = [
    ['PT1H', 3_600_000],
    ['P7D', 7 * 86_400_000],
    ['P1W', 7 * 86_400_000],
    ['P1DT12H', 36 * 3_600_000],
    ['PT30M', 1_800_000],
    ['PT1.5S', 1500],
    ['P1WT1M', 604_800_000 + 60_000],
  ];
  it.each(ok)('%s is %i ms', (text, ms) => expect(parseDuration(text, 'lag')).toBe(ms));

  it.each(['P', 'PT', '7D', 'P1H', 'PT1D', 'P1.5D', 'P0D', 'p1d', ' P1D'])('refuses %j', (text) => {
    expect(refusal(() => parseDuration(text, 'lag')).details.field).toBe('lag');
  });

  it('explains that months and years are refused', () => {
    expect(refusal(() => parseDuration('P1M', 'lag')).message).toMatch(
      /years and months are not fixed lengths/,
    );
    expect(refusal(() => parseDuration('P1Y', 'lag')).message).toMatch(/years and months/);
  });
});

describe('parseTimestamp', () => {
  it('reads epoch ms, Dates, UTC and offset timestamps and dates', () => {
    const t = Date.UTC(2026, 0, 5, 3);
    expect(parseTimestamp(t, 'at')).toBe(t);
    expect(parseTimestamp(new Date(t), 'at')).toBe(t);
    expect(parseTimestamp('2026-01-05T03:00:00Z', 'at')).toBe(t);
    expect(parseTimestamp('2026-01-05T04:00+01:00', 'at')).toBe(t);
    expect(parseTimestamp('2026-01-05T03:00:00.000Z', 'at')).toBe(t);
    expect(parseTimestamp('2026-01-05', 'at')).toBe(Date.UTC(2026, 0, 5));
  });

  it.each(['2026-01-05T03:00:00', 'yesterday', '', null, undefined, Number.NaN, true])(
    'refuses %j',
    (value) => {
      expect(refusal(() => parseTimestamp(value, 'rows[0].at')).details.field).toBe('rows[0].at');
    },
  );
});

describe('lookup baseline', () => {
  it('predicts the value at the same key exactly one lag earlier, else the mean of the history', async () => {
    const spec = fitLookupBaseline(OPTIONS, HISTORY);
    expect(spec).toMatchObject({ kind: 'lookup', key: ['store'], lag: 'PT2H', fallback: 363 / 8 });
    expect(spec.entries).toHaveLength(8);
    const model = loadLookupBaseline(spec);
    const out = await model.predict([
      { store: 'A', at: hour(4) }, // A at 02:00
      { store: 'A', at: hour(6) }, // A at 04:00
      { store: 'B', at: hour(3) }, // B at 01:00
      { store: 'B', at: hour(5) }, // B at 03:00 had a null target: not indexed
      { store: 'A', at: '2026-01-05T04:30:00Z' }, // 02:30 does not exist: no nearest-earlier match
      { store: 'C', at: hour(4) }, // unknown store
      { store: 'A', at: hour(1) }, // before the history starts
      { store: 'A', at: Date.UTC(2026, 0, 5, 3) }, // epoch ms works too: A at 01:00
    ]);
    expect(out.map((row) => row.prediction)).toEqual([12, 14, 101, 45.375, 45.375, 45.375, 45.375, 11]);
    await model.close();
  });

  it('supports daily lags, composite keys and key types kept apart', async () => {
    const history = [
      { store: 1, sku: 'x', day: '2026-01-01', units: 5 },
      { store: '1', sku: 'x', day: '2026-01-01', units: 50 },
      { store: 1, sku: 'y', day: '2026-01-01', units: 7 },
    ];
    const spec = fitLookupBaseline(
      { key: ['store', 'sku'], time: 'day', lag: 'P1D', target: 'units' },
      history,
    );
    const model = loadLookupBaseline(spec);
    const out = await model.predict([
      { store: 1, sku: 'x', day: '2026-01-02' },
      { store: '1', sku: 'x', day: '2026-01-02T00:00:00Z' },
      { store: 1, sku: 'y', day: '2026-01-02' },
      { store: 1, sku: 'x', day: '2026-01-03' },
    ]);
    expect(out).toEqual([{ prediction: 5 }, { prediction: 50 }, { prediction: 7 }, { prediction: 62 / 3 }]);
  });

  it('uses a declared fallback, or none', async () => {
    const fixed = loadLookupBaseline(fitLookupBaseline({ ...OPTIONS, fallback: 0 }, HISTORY));
    expect(await fixed.predict([{ store: 'C', at: hour(4) }])).toEqual([{ prediction: 0 }]);
    const none = loadLookupBaseline(fitLookupBaseline({ ...OPTIONS, fallback: 'none' }, HISTORY));
    expect(await none.predict([{ store: 'C', at: hour(4) }])).toEqual([{ prediction: null }]);
    expect(fitLookupBaseline(OPTIONS, []).fallback).toBeNull();
  });

  it('treats a missing key column as a null key', async () => {
    const spec = fitLookupBaseline({ key: ['k'], time: 't', lag: 'PT1H', target: 'y' }, [{ t: 0, y: 3 }]);
    const model = loadLookupBaseline(spec);
    expect(await model.predict([{ t: 3_600_000 }, { k: null, t: 3_600_000 }])).toEqual([
      { prediction: 3 },
      { prediction: 3 },
    ]);
  });

  it('refuses bad history rows, naming the row and column', () => {
    const dup = refusal(() =>
      fitLookupBaseline(OPTIONS, [...HISTORY, { store: 'A', at: hour(1), sales: 1 }]),
    );
    expect(dup.details.field).toBe('history[9]');
    expect(dup.message).toMatch(/repeats the key and time of history\[1\]/);
    const target = refusal(() => fitLookupBaseline(OPTIONS, [{ store: 'A', at: hour(1), sales: '3' }]));
    expect(target.details.field).toBe('history[0].sales');
    const time = refusal(() =>
      fitLookupBaseline(OPTIONS, [{ store: 'A', at: '2026-01-05 01:00', sales: 3 }]),
    );
    expect(time.details.field).toBe('history[0].at');
    const key = refusal(() => fitLookupBaseline(OPTIONS, [{ store: ['A'], at: hour(1), sales: 3 }]));
    expect(key.details.field).toBe('history[0].store');
    expect(refusal(() => fitLookupBaseline({ ...OPTIONS, lag: 'P1M' }, HISTORY)).details.field).toBe('lag');
    expect(
      refusal(() => fitLookupBaseline({ ...OPTIONS, fallback: Number.NaN }, HISTORY)).details.field,
    ).toBe('fallback');
  });

  it('refuses a prediction row without a usable time, naming the row', async () => {
    const model = loadLookupBaseline(fitLookupBaseline(OPTIONS, HISTORY));
    await expect(model.predict([{ store: 'A', at: hour(4) }, { store: 'A' }])).rejects.toMatchObject({
      details: { field: 'rows[1].at' },
    });
  });
});
