/**
 * The demo's data: seeded, synthetic consumer-loan applications that behave like the real thing.
 * Volume follows a daily cycle (few applications at night, a lunchtime and an evening peak), a
 * weekly one (quieter weekends) and public holidays; applicants have correlated, skewed features
 * (income is log-normal and grows with age, utilization is a beta-like share, late payments are
 * Poisson with a rate that rises with utilization); whether a loan defaults follows a logistic
 * model with a non-linear utilization term and an interaction, so a linear model is good but not
 * perfect. Pure: the same options give the same applications on every machine.
 */
import { Xoshiro128 } from '../stats/random.js';

/** The features of one application, in the units the upstream system is supposed to send. */
export interface CreditFeatures {
  /** Years. */
  age: number;
  /** Yearly income in thousands of dollars. */
  income: number;
  /** Monthly debt payments over monthly income. */
  debt_ratio: number;
  /** Revolving credit used over the credit limit, a share in [0, 1]. */
  utilization: number;
  /** Payments more than 30 days late in the last 12 months. */
  late_payments: number;
  /** Months since the oldest credit account was opened. */
  account_age: number;
  /** Requested amount in thousands of dollars. */
  loan_amount: number;
  /** Loan term in months (36 or 60). */
  term: number;
}

/** Feature names in the order the model reads them. */
export const CREDIT_FEATURES = [
  'age',
  'income',
  'debt_ratio',
  'utilization',
  'late_payments',
  'account_age',
  'loan_amount',
  'term',
] as const satisfies readonly (keyof CreditFeatures)[];

/** One loan application and its outcome (known only once the loan has run for a while). */
export interface Application {
  /** Stable id, e.g. `app-000123`: the entity labels join on. */
  id: string;
  /** When it was submitted (ms since the epoch, simulated time). */
  appliedAt: number;
  features: CreditFeatures;
  /** 1 when the loan defaulted. */
  defaulted: 0 | 1;
}

/** How many applications to generate and over which days. */
export interface GenerateOptions {
  seed: number;
  /** Midnight UTC of the first day (ms since the epoch). */
  start: number;
  days: number;
  /** Applications on an ordinary weekday; weekends and holidays get fewer. */
  weekdayVolume: number;
  /** Numbering of the ids starts here, so consecutive periods do not collide. */
  firstId?: number;
}

const HOUR_MS = 3_600_000;
/** One day in ms. */
export const DAY_MS = 24 * HOUR_MS;

/** Public holidays (UTC dates) on which volume drops to a quarter. */
const HOLIDAYS = new Set(['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25']);

/** Relative volume per hour of the day: quiet nights, a lunchtime and an early-evening peak. */
const HOURLY_SHAPE = [
  0.1, 0.05, 0.04, 0.04, 0.05, 0.12, 0.3, 0.6, 0.9, 1.0, 1.05, 1.2, 1.4, 1.3, 1.1, 1.0, 1.05, 1.2, 1.45, 1.5,
  1.3, 0.9, 0.5, 0.25,
];
const HOURLY_TOTAL = HOURLY_SHAPE.reduce((sum, w) => sum + w, 0);

/** The applications of `options.days` days, oldest first. */
export function generateApplications(options: GenerateOptions): Application[] {
  const rng = Xoshiro128.fromSeed(options.seed);
  const draw = samplers(rng);
  const out: Application[] = [];
  let nextId = options.firstId ?? 0;
  for (let day = 0; day < options.days; day++) {
    const midnight = options.start + day * DAY_MS;
    const expected = options.weekdayVolume * dayFactor(midnight);
    for (let hour = 0; hour < 24; hour++) {
      const count = draw.poisson((expected * (HOURLY_SHAPE[hour] as number)) / HOURLY_TOTAL);
      const times = Array.from({ length: count }, () => midnight + hour * HOUR_MS + draw.uniform() * HOUR_MS);
      for (const appliedAt of times.sort((a, b) => a - b)) {
        const features = applicant(draw);
        out.push({
          id: `app-${String(nextId++).padStart(6, '0')}`,
          appliedAt: Math.floor(appliedAt),
          features,
          defaulted: draw.uniform() < defaultProbability(features) ? 1 : 0,
        });
      }
    }
  }
  return out;
}

/** Volume of a day relative to an ordinary weekday. */
function dayFactor(midnight: number): number {
  const date = new Date(midnight);
  if (HOLIDAYS.has(date.toISOString().slice(0, 10))) return 0.25;
  const weekday = date.getUTCDay();
  if (weekday === 0) return 0.35;
  if (weekday === 6) return 0.55;
  // Paydays (the 1st and the 15th) bring a few more applications.
  const dom = date.getUTCDate();
  return dom === 1 || dom === 15 ? 1.2 : 1;
}

/** The true default probability of an applicant: what a model tries to learn. */
export function defaultProbability(f: CreditFeatures): number {
  const z =
    -2.2 -
    0.025 * (f.age - 40) -
    0.9 * Math.log(f.income / 55) +
    2.0 * (f.debt_ratio - 0.35) +
    3.2 * (f.utilization - 0.35) ** 2 +
    1.6 * (f.utilization - 0.35) +
    0.55 * f.late_payments -
    0.006 * (f.account_age - 80) +
    0.25 * Math.log(f.loan_amount / 15) +
    (f.term === 60 ? 0.35 : 0) +
    // High utilization hurts most when there is also a history of late payments.
    0.4 * f.utilization * Math.min(f.late_payments, 3);
  return 1 / (1 + Math.exp(-z));
}

/** One applicant's features, correlated as in real portfolios. */
function applicant(draw: Samplers): CreditFeatures {
  const age = clamp(21 + draw.gamma(2.2) * 9, 21, 78);
  const income = Math.exp(Math.log(38) + 0.012 * (age - 21) + 0.45 * draw.normal());
  const utilization = clamp(draw.beta(1.6, 2.8), 0, 1);
  const debtRatio = clamp(0.08 + 0.25 * draw.gamma(1.8) * (1 + 0.4 * utilization), 0, 1.5);
  const lateRate = 0.15 + 1.6 * utilization ** 2;
  const accountAge = clamp((age - 18) * 12 * (0.25 + 0.6 * draw.uniform()), 3, 600);
  const loanAmount = clamp(
    Math.exp(Math.log(12) + 0.25 * Math.log(income / 55) + 0.6 * draw.normal()),
    1,
    80,
  );
  return {
    age: Math.round(age),
    income: round(income, 1),
    debt_ratio: round(debtRatio, 3),
    utilization: round(utilization, 3),
    late_payments: Math.min(draw.poisson(lateRate), 8),
    account_age: Math.round(accountAge),
    loan_amount: round(loanAmount, 1),
    term: loanAmount > 20 && draw.uniform() < 0.6 ? 60 : 36,
  };
}

/**
 * The upstream bug the demo injects: a new release of the credit bureau feed sends income in
 * dollars instead of thousands and utilization in percent instead of a share.
 */
export function withUnitBug(features: CreditFeatures): CreditFeatures {
  return { ...features, income: features.income * 1000, utilization: round(features.utilization * 100, 1) };
}

/** The columns the unit bug changes. */
export const UNIT_BUG_COLUMNS = ['income', 'utilization'] as const;

/** One labelled row as evaluation and baselines read it: the features plus `defaulted`. */
export function labelledRow(features: CreditFeatures, defaulted: 0 | 1): Record<string, number> {
  return { ...features, defaulted };
}

/** The draws the generator needs, all from one seeded stream. */
interface Samplers {
  uniform(): number;
  normal(): number;
  gamma(shape: number): number;
  beta(a: number, b: number): number;
  poisson(mean: number): number;
}

function samplers(rng: Xoshiro128): Samplers {
  // Never exactly 0, so logarithms stay finite.
  const uniform = (): number => rng.nextFloat() || Number.MIN_VALUE;
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const gamma = (shape: number): number => {
    // Marsaglia & Tsang; shapes below 1 are boosted by one and scaled back by U^(1/shape).
    if (shape < 1) return gamma(shape + 1) * uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const beta = (a: number, b: number): number => {
    const x = gamma(a);
    return x / (x + gamma(b));
  };
  const poisson = (mean: number): number => {
    // Knuth's product of uniforms: the means here are small (at most a few dozen).
    const limit = Math.exp(-mean);
    let k = 0;
    let p = uniform();
    while (p > limit) {
      k++;
      p *= uniform();
    }
    return k;
  };
  return { uniform, normal, gamma, beta, poisson };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}
