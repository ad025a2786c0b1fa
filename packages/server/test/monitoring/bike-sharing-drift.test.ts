import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MonitorStatistic } from '@slipway/contracts';
import { driftStatistics } from '../../src/monitoring/drift-statistics.js';
import { profileColumns, profileWithEdges, type DataProfile } from '../../src/monitoring/profile.js';

// The UCI bike sharing data (hourly, 2011-2012), shared outside the repo; see docs/monitoring.md
// (Real data check) for what these tests found.
const HOUR_CSV = '/work/shared/data/bike_sharing/hour.csv';
const HAVE_HOUR_CSV = existsSync(HOUR_CSV);

type Row = Record<string, string>;

/** The CSV's rows keyed by header; the file has no quoted fields, and CRLF line ends are tolerated. */
function readRows(path: string): Row[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

/** The monitored columns: weather numbers (normalized in the file) and two categorical codes. */
function table(rows: Row[]): Record<string, unknown[]> {
  const numbers = (c: string): number[] => rows.map((r) => Number(r[c]));
  return {
    temp: numbers('temp'),
    atemp: numbers('atemp'),
    hum: numbers('hum'),
    windspeed: numbers('windspeed'),
    season: rows.map((r) => r.season),
    weathersit: rows.map((r) => r.weathersit),
  };
}

/** The statistic about `column`. */
function about(stats: MonitorStatistic[], column: string): MonitorStatistic {
  const s = stats.find((x) => x.column === column);
  if (!s) throw new Error(`no statistic for ${column}`);
  return s;
}

/** Default-policy drift of `rows` against a reference profile, the window profiled on its edges. */
function drift(reference: DataProfile, rows: Row[]): MonitorStatistic[] {
  return driftStatistics(reference, profileWithEdges(table(rows), reference));
}

const MONTHS = [2011, 2012]
  .flatMap((y) => Array.from({ length: 12 }, (_, m) => `${y}-${String(m + 1).padStart(2, '0')}`))
  .slice(1);

const COLUMNS = ['temp', 'atemp', 'hum', 'windspeed', 'weathersit'] as const;

// Measured with the default policy (KS and chi-square on effective sizes), 6 significant digits:
// p-values of temp, atemp, hum, windspeed (ks) and weathersit (chi_square) against January 2011.
// The same as the lead's NumPy/SciPy prototype (/work/scratch/neff.py) to its printed 3 digits.
const P_VALUES: Record<string, [number, number, number, number, number]> = {
  '2011-02': [0.423812, 0.16393, 0.996269, 0.644893, 0.585607],
  '2011-03': [0.0224852, 0.0072892, 0.997045, 0.0540803, 0.708619],
  '2011-04': [0.000373545, 0.00000637302, 0.431466, 0.128653, 0.600141],
  '2011-05': [0.00000507053, 1.11858e-8, 0.0783857, 0.752113, 0.56208],
  '2011-06': [6.84823e-7, 1.48501e-10, 0.993563, 0.721687, 0.11168],
  '2011-07': [1.82896e-7, 2.538e-10, 0.996948, 0.473833, 0.0000122047],
  '2011-08': [4.83349e-8, 2.0453e-12, 0.694096, 0.999986, 0.00616996],
  '2011-09': [0.0000111974, 2.0972e-9, 0.00214441, 0.0549985, 0.161589],
  '2011-10': [0.0001879, 0.00000896402, 0.0767957, 0.854632, 0.181213],
  '2011-11': [0.000276912, 0.00000688987, 0.324992, 0.961689, 0.476196],
  '2011-12': [0.00996461, 0.000409674, 0.544509, 0.549956, 0.65614],
  '2012-01': [0.27242, 0.204503, 0.996258, 0.988202, 0.839711],
  '2012-02': [0.0163598, 0.00516828, 0.999996, 1, 0.607991],
  '2012-03': [0.00279708, 0.000312413, 0.973343, 0.994931, 0.730345],
  '2012-04': [0.0000924987, 0.00000215976, 0.693413, 0.651966, 0.206791],
  '2012-05': [7.4373e-7, 3.23826e-10, 0.2369, 0.876102, 0.697028],
  '2012-06': [0.00000385256, 6.02341e-10, 0.998886, 0.995146, 0.0213168],
  '2012-07': [3.10056e-7, 4.3432e-10, 0.901822, 0.0517454, 0.214325],
  '2012-08': [1.58115e-7, 1.12169e-8, 0.235087, 0.164733, 0.344607],
  '2012-09': [0.00000206263, 3.5198e-10, 0.444721, 0.917646, 0.0913859],
  '2012-10': [0.0000278359, 7.14322e-8, 0.177911, 0.46511, 0.90825],
  '2012-11': [0.0011114, 0.000020301, 0.999919, 0.999995, 0.548242],
  '2012-12': [0.00742557, 0.00209565, 0.350748, 0.908933, 0.136582],
};

/** Equal to 6 significant digits (the table above). */
function expectSixDigits(actual: unknown, expected: number, label: string): void {
  const ok = typeof actual === 'number' && Math.abs(actual - expected) <= 5e-6 * Math.abs(expected);
  expect(ok, `${label}: got ${String(actual)}, measured ${expected}`).toBe(true);
}

/** A statistic's rho and effective size on one side. */
function side(s: MonitorStatistic, which: 'reference' | 'current'): { rho: number; effectiveSize: number } {
  return (s.details?.autocorrelation as Record<string, { rho: number; effectiveSize: number }>)[which]!;
}

describe.skipIf(!HAVE_HOUR_CSV)(
  HAVE_HOUR_CSV
    ? 'drift on bike_sharing/hour.csv, January 2011 as the reference'
    : `drift on bike_sharing/hour.csv: SKIPPED, ${HOUR_CSV} is missing (see ../shared/data/README.md)`,
  () => {
    const rows = HAVE_HOUR_CSV ? readRows(HOUR_CSV) : [];
    const inMonth = (month: string): Row[] => rows.filter((r) => r.dteday!.startsWith(month));
    const january = inMonth('2011-01');
    const reference = profileColumns(table(january));
    const day = (r: Row): number => Number(r.dteday!.slice(8));

    it('reads every hour of January 2011 into the reference', () => {
      expect(rows).toHaveLength(17379);
      expect(reference.rowCount).toBe(688);
      expect(reference.columns.temp).toMatchObject({ kind: 'numeric', count: 688, missing: 0 });
      expect(reference.columns.weathersit).toMatchObject({ kind: 'categorical', count: 688 });
    });

    it('hourly weather is strongly autocorrelated: 688 January hours are worth 11 to 110 draws', () => {
      const stats = drift(reference, inMonth('2011-02'));
      const measured = ['temp', 'atemp', 'hum', 'windspeed', 'weathersit'].map((c) => {
        const r = side(about(stats, c), 'reference');
        return [c, Number(r.rho.toFixed(3)), Number(r.effectiveSize.toFixed(1))];
      });
      expect(measured).toEqual([
        ['temp', 0.968, 11.4],
        ['atemp', 0.944, 19.9],
        ['hum', 0.943, 20.2],
        ['windspeed', 0.768, 90.4],
        ['weathersit', 0.724, 110.1],
      ]);
    });

    it('flags temp and atemp in every month holding another season, with the measured p-values', () => {
      for (const month of MONTHS) {
        const current = inMonth(month);
        const stats = drift(reference, current);
        COLUMNS.forEach((column, i) => {
          const s = about(stats, column);
          expect(s.name).toBe(column === 'weathersit' ? 'chi_square' : 'ks');
          expectSixDigits(s.details?.pValue, P_VALUES[month]![i]!, `${month} ${column}`);
          expect([month, column, s.flagged]).toEqual([month, column, P_VALUES[month]![i]! < 0.05]);
        });
        if (current.some((r) => r.season !== '1')) {
          for (const column of ['temp', 'atemp']) {
            expect([month, column, about(stats, column).flagged]).toEqual([month, column, true]);
          }
        }
      }
    });

    it('does not flag the two winter months like the reference, February 2011 and January 2012', () => {
      for (const month of ['2011-02', '2012-01']) {
        const stats = drift(reference, inMonth(month));
        const flagged = stats.filter((s) => s.column !== undefined && s.flagged).map((s) => s.column);
        expect([month, flagged]).toEqual([month, []]);
      }
    });

    it('within January flags nothing: neither the two halves nor the first two weeks', () => {
      const halves = drift(
        profileColumns(table(january.filter((r) => day(r) <= 14))),
        january.filter((r) => day(r) > 14),
      );
      const weeks = drift(
        profileColumns(table(january.filter((r) => day(r) <= 7))),
        january.filter((r) => day(r) >= 8 && day(r) <= 14),
      );
      const verdicts = (stats: MonitorStatistic[]): [string, string, number, number, boolean][] =>
        COLUMNS.map((c) => {
          const s = about(stats, c);
          return [
            c,
            s.name,
            Number(s.value.toPrecision(6)),
            Number((s.details?.pValue as number).toPrecision(6)),
            s.flagged,
          ];
        });
      // KS D is the same as without the adjustment, only its p-value changes; χ² is on the scaled counts.
      expect(verdicts(halves)).toEqual([
        ['temp', 'ks', 0.117894, 1, false],
        ['atemp', 'ks', 0.121795, 0.999997, false],
        ['hum', 'ks', 0.233313, 0.904725, false],
        ['windspeed', 'ks', 0.123152, 0.854387, false],
        ['weathersit', 'chi_square', 3.49978, 0.32079, false],
      ]);
      expect(verdicts(weeks)).toEqual([
        ['temp', 'ks', 0.497885, 0.524359, false],
        ['atemp', 'ks', 0.574706, 0.154632, false],
        ['hum', 'ks', 0.250505, 0.974478, false],
        ['windspeed', 'ks', 0.21964, 0.64394, false],
        ['weathersit', 'chi_square', 0.180934, 0.913504, false],
      ]);
    });

    it('with autocorrelation ignore, the old verdicts: every weather column drifts within January', () => {
      const halves = driftStatistics(
        profileColumns(table(january.filter((r) => day(r) <= 14))),
        profileWithEdges(
          table(january.filter((r) => day(r) > 14)),
          profileColumns(table(january.filter((r) => day(r) <= 14))),
        ),
        { autocorrelation: 'ignore' },
      );
      expect(['temp', 'atemp', 'hum', 'windspeed'].map((c) => about(halves, c).flagged)).toEqual([
        true,
        true,
        true,
        true,
      ]);
      // One hour of weathersit 4 (heavy rain) in the second half: finite in the contingency test.
      expect(Number.isFinite(about(halves, 'weathersit').value)).toBe(true);
    });
  },
);
