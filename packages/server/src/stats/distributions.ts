/**
 * Special functions behind the drift tests' p-values, following SciPy 1.10 so p-values agree with
 * scipy.stats to ~1e-12 relative: the normal survival function (through erfc), the chi-square survival
 * function (the regularized upper incomplete gamma function), Kolmogorov's limiting distribution, the
 * exact one-sided Smirnov distribution and the finite-n two-sided Kolmogorov distribution (`kstwo`,
 * Simard & L'Ecuyer 2011, ported from scipy/stats/_ksstats.py) that `ks_2samp(method='asymp')` uses.
 * Pure. Definitions are in docs/monitoring.md.
 */
import { invalidArgument } from '@slipway/contracts';

const DBL_EPSILON = 2.220446049250313e-16;
/** Below this a continued-fraction denominator counts as zero (Lentz's method). */
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;
const LOG_SQRT_2PI = 0.9189385332046728;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Lanczos coefficients for g = 7, n = 9 (Godfrey), good to ~1e-15 relative on the positive axis. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw invalidArgument('x', `logGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** exp(-x) x^a / Γ(a), the factor both incomplete-gamma expansions share, taken in logs against overflow. */
function gammaPrefactor(a: number, x: number): number {
  return Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Lower regularized gamma P(a, x) by its power series; converges fast for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * DBL_EPSILON) break;
  }
  return sum * gammaPrefactor(a, x);
}

/** Upper regularized gamma Q(a, x) by its continued fraction (modified Lentz); for x >= a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < DBL_EPSILON) break;
  }
  return gammaPrefactor(a, x) * h;
}

/** Upper regularized incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (SciPy's `gammaincc`), a > 0, x >= 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw invalidArgument('a', `the incomplete gamma function needs a > 0, got ${a}`);
  if (!(x >= 0)) throw invalidArgument('x', `the incomplete gamma function needs x >= 0, got ${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQContinuedFraction(a, x);
}

/** Complementary error function; erfc(x) = Q(1/2, x²) for x >= 0 keeps full relative precision in the tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? regularizedGammaQ(0.5, x * x) : 2 - regularizedGammaQ(0.5, x * x);
}

/** Standard normal survival function P(Z > z) (scipy.stats.norm.sf). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Standard normal CDF P(Z <= z) (scipy.stats.norm.cdf). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Chi-square survival function P(X > x) with `df` degrees of freedom (scipy.stats.chi2.sf). */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw invalidArgument('df', `degrees of freedom must be > 0, got ${df}`);
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

/**
 * Kolmogorov's limiting distribution: P(sqrt(n) D_n > x) as n → ∞ (scipy.special.kolmogorov, i.e.
 * scipy.stats.kstwobign.sf), with cephes' two theta-function series switched at x = 1.
 */
export function kolmogorovSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x >= 1) {
    const alpha = -2 * x * x;
    let sign = 1;
    let r = 1;
    let p = 0;
    let t: number;
    do {
      t = Math.exp(alpha * r * r);
      p += sign * t;
      if (t === 0) break;
      r += 1;
      sign = -sign;
    } while (t / p > DBL_EPSILON);
    return 2 * p;
  }
  const alpha = (-Math.PI * Math.PI) / (8 * x * x);
  let r = 1;
  let p = 0;
  let t: number;
  do {
    t = Math.exp(alpha * r * r);
    p += t;
    if (t === 0) break;
    r += 2;
  } while (t / p >= DBL_EPSILON);
  return 1 - (p * SQRT_2PI) / x;
}

/**
 * Exact one-sided Smirnov survival P(D_n+ >= d) (scipy.special.smirnov) by the Birnbaum-Tingey sum
 * Σ_{v=0}^{⌊n(1-d)⌋} C(n,v) d (d + v/n)^(v-1) (1 - d - v/n)^(n-v), every term positive, taken in logs so
 * no power or binomial overflows.
 */
export function smirnovSf(n: number, d: number): number {
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('n', `n must be a positive integer, got ${n}`);
  if (Number.isNaN(d)) return NaN;
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const last = Math.floor(n * (1 - d));
  // log C(n, v) is accumulated term by term; Neumaier's compensation keeps its rounding from growing with
  // n (uncompensated, it costs ~1e-9 relative at n = 200,000).
  let logBinomial = 0;
  let compensation = 0;
  let sum = 0;
  for (let v = 0; v <= last; v++) {
    const evn = d + v / n;
    const rest = 1 - evn;
    const logC = logBinomial + compensation;
    if (n - v === 0) {
      sum += Math.exp(logC + (v - 1) * Math.log(evn));
    } else if (rest > 0) {
      sum += Math.exp(logC + (v - 1) * Math.log(evn) + (n - v) * Math.log(rest));
    }
    const step = Math.log(n - v) - Math.log(v + 1);
    const next = logBinomial + step;
    compensation +=
      Math.abs(logBinomial) >= Math.abs(step) ? logBinomial - next + step : step - next + logBinomial;
    logBinomial = next;
  }
  return Math.min(1, Math.max(0, sum * d));
}

/** Clips a probability into [0, 1]. */
function clip(p: number): number {
  return Math.min(1, Math.max(0, p));
}

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

/** m×m row-major matrix product. */
function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return out;
}

/** P(D_n <= d) by Durbin's matrix algorithm as Marsaglia, Tsang & Wang evaluate it (SciPy's _kolmogn_DMTW). */
function kolmogornCdfDurbin(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1]! *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let power = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  while (nn > 0) {
    if (nn % 2) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128;
      hExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return clip(exponent !== 0 ? p * 2 ** exponent : p);
}

/** Row i's band of non-zero entries in Pomeranz's recursion (SciPy's _pomeranz_compute_j1j2). */
function pomeranzBand(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= x) by Pomeranz's recursion (SciPy's _kolmogn_Pomeranz), rescaled against underflow. */
function kolmogornCdfPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * (g / n)) / m;
    twogpower[m] = (twogpower[m - 1]! * ((2 * g) / n)) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzBand(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBand(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 <= 0) continue;
    const aStart = k1 - V0s;
    const aLen = Math.max(0, Math.min(ln2, npwrs - aStart));
    const bLen = Math.min(ln2, npwrs);
    const convStart = j1 - k1;
    const convLen = j2 - j1 + 1;
    let max = 0;
    for (let o = 0; o < convLen; o++) {
      const idx = convStart + o;
      let s = 0;
      const lo = Math.max(0, idx - bLen + 1);
      const hi = Math.min(aLen - 1, idx);
      for (let a = lo; a <= hi; a++) s += V0[aStart + a]! * pwrs[idx - a]!;
      V1[o] = s;
      if (s > max) max = s;
    }
    if (max > 0 && max < EM128) {
      for (let o = 0; o < npwrs; o++) V1[o]! *= E128;
      exponent -= 128;
    }
    V1s = V0s + j1 - k1;
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      exponent += 128;
    }
    ans *= m;
  }
  return clip(exponent !== 0 ? ans * 2 ** exponent : ans);
}

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;

/** Pelz-Good's small-d expansion of P(D_n <= x) (SciPy's _kolmogn_PelzGood). */
function kolmogornCdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2]! += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3]! += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/** log(n! / n^n) by Stirling's series with n log n removed up front (SciPy's _log_nfactorial_div_n_pow_n). */
function logFactorialOverPower(n: number): number {
  // B_2j / (2j (2j - 1)) for j = 8..1, SciPy's values rounded to the nearest double.
  const coeffs = [
    -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
    -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
  ];
  const rn = 1 / n;
  let poly = 0;
  for (const c of coeffs) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/**
 * Survival function of the two-sided one-sample Kolmogorov-Smirnov statistic for a sample of size n,
 * P(D_n >= x) (scipy.stats.kstwo.sf), choosing among exact and asymptotic methods by Simard & L'Ecuyer's
 * rules exactly as SciPy's _kolmogn does.
 */
export function kolmogorovSmirnovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('n', `n must be a positive integer, got ${n}`);
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip(1 - kolmogornCdfDurbin(n, x));
    if (nxSquared <= 4) return clip(1 - kolmogornCdfPomeranz(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf =
    nxSquared >= 18
      ? 1
      : n <= 100_000 && n * x ** 1.5 <= 1.4
        ? kolmogornCdfDurbin(n, x)
        : kolmogornCdfPelzGood(n, x);
  return clip(1 - clip(cdf));
}
