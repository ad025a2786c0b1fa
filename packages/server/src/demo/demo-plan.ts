/**
 * The demo's timeline, pure: eight weeks of history split by time into training, validation and
 * holdout sets, then four weeks of traffic to replay (cut into blocks of a few hours, one predict
 * request each), with the upstream unit bug from the second week on. The demo's I/O
 * (`demo-story.ts`) only walks this plan.
 */
import {
  CREDIT_FEATURES,
  DAY_MS,
  generateApplications,
  labelledRow,
  withUnitBug,
  type Application,
} from './credit-data.js';
import type { Matrix } from './logistic-regression.js';

/** Days of history the first model learns from (a Monday). */
const HISTORY_START = Date.UTC(2026, 0, 5);
const HISTORY_DAYS = 56;
/** The first replayed day, a Monday right after the history. */
export const REPLAY_START = HISTORY_START + HISTORY_DAYS * DAY_MS;
/** Days of traffic replayed through the endpoint. */
export const REPLAY_DAYS = 28;
/** First replayed day (1-based) on which the upstream feed sends the wrong units. */
export const BUG_FROM_DAY = 8;
/** Outcomes are known this many days after the application. */
export const LABEL_DELAY_DAYS = 7;
/** Hours of traffic sent in one predict request. */
const BLOCK_HOURS = 4;
const WEEKDAY_VOLUME = 220;

/** One predict request of the replay: consecutive applications of one day. */
export interface ReplayBlock {
  /** 1-based replayed day. */
  day: number;
  /** The simulated date, `YYYY-MM-DD`. */
  date: string;
  applications: Application[];
  /** The rows as the upstream system sends them (with the unit bug from `BUG_FROM_DAY`). */
  rows: Record<string, number>[];
}

/** Everything the demo generates. */
export interface DemoPlan {
  seed: number;
  train: Application[];
  validation: Application[];
  holdout: Application[];
  /** Replay blocks in time order. */
  blocks: ReplayBlock[];
}

/** The plan for a seed: the same seed, the same data. */
export function demoPlan(seed: number): DemoPlan {
  const history = generateApplications({
    seed,
    start: HISTORY_START,
    days: HISTORY_DAYS,
    weekdayVolume: WEEKDAY_VOLUME,
  });
  const replay = generateApplications({
    seed: seed + 1,
    start: REPLAY_START,
    days: REPLAY_DAYS,
    weekdayVolume: WEEKDAY_VOLUME,
    firstId: history.length,
  });
  const trainEnd = Math.floor(history.length * 0.7);
  const validationEnd = Math.floor(history.length * 0.85);
  return {
    seed,
    train: history.slice(0, trainEnd),
    validation: history.slice(trainEnd, validationEnd),
    holdout: history.slice(validationEnd),
    blocks: replayBlocks(replay),
  };
}

/** The replayed day (1-based) an application falls on. */
export function replayDay(appliedAt: number): number {
  return Math.floor((appliedAt - REPLAY_START) / DAY_MS) + 1;
}

function replayBlocks(replay: readonly Application[]): ReplayBlock[] {
  const byKey = new Map<number, Application[]>();
  for (const application of replay) {
    const key = Math.floor((application.appliedAt - REPLAY_START) / (BLOCK_HOURS * 3_600_000));
    const list = byKey.get(key) ?? [];
    list.push(application);
    byKey.set(key, list);
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, applications]) => {
      const first = applications[0] as Application;
      const day = replayDay(first.appliedAt);
      const bugged = day >= BUG_FROM_DAY;
      return {
        day,
        date: new Date(first.appliedAt).toISOString().slice(0, 10),
        applications,
        rows: applications.map((a) => ({ ...(bugged ? withUnitBug(a.features) : a.features) })),
      };
    });
}

/** Applications as a training matrix, features in `CREDIT_FEATURES` order. */
export function matrixOf(applications: readonly Application[]): Matrix {
  return {
    x: applications.map((a) => CREDIT_FEATURES.map((name) => a.features[name])),
    y: applications.map((a) => a.defaulted),
  };
}

/** Labelled rows as CSV: the features and `defaulted`, one header line. */
export function labelledCsv(applications: readonly Application[]): string {
  const columns = [...CREDIT_FEATURES, 'defaulted'];
  const lines = applications.map((a) => {
    const row = labelledRow(a.features, a.defaulted);
    return columns.map((c) => String(row[c])).join(',');
  });
  return `${columns.join(',')}\n${lines.join('\n')}\n`;
}
