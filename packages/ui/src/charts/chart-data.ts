/**
 * Turns the server's metric buckets into chart series: each bucket's first, lowest, highest and last
 * observation in axis order (so the drawn line has every spike), and an optional smoothed copy.
 * Pure.
 */
import type { MetricAxis, MetricBucket, MetricSample } from '@slipway/contracts';

/** Columns a chart draws: x (steps, or seconds for time) and y with null for gaps. */
export interface Series {
  x: number[];
  y: (number | null)[];
}

/** The x of a sample: its step, or its time in seconds (the chart's time scale counts seconds). */
export function xOf(sample: MetricSample, axis: MetricAxis): number {
  return axis === 'step' ? sample.step : sample.timestamp / 1000;
}

/** The axis value to send back to the server for a chart x (ms for time). */
export function axisValueOf(x: number, axis: MetricAxis): number {
  return axis === 'step' ? x : x * 1000;
}

/** The points to draw: up to four per bucket, without repeats, in axis order. */
export function seriesOf(buckets: readonly MetricBucket[], axis: MetricAxis): Series {
  const x: number[] = [];
  const y: (number | null)[] = [];
  for (const bucket of buckets) {
    for (const sample of pointsOf(bucket, axis)) {
      x.push(xOf(sample, axis));
      // The chart cannot place NaN or an infinity: it leaves a gap there.
      y.push(Number.isFinite(sample.value) ? sample.value : null);
    }
  }
  return { x, y };
}

/**
 * Exponential moving average with TensorBoard's debiasing (early points are not pulled to zero);
 * `weight` 0 returns the values, towards 1 smooths harder. Gaps stay gaps and do not reset it.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let average = 0;
  let seen = 0;
  return values.map((value) => {
    if (value === null) return null;
    average = average * weight + (1 - weight) * value;
    seen += 1;
    return average / (1 - weight ** seen);
  });
}

/** The lowest and highest value of the buckets (infinities included, NaN not), or undefined when all are NaN. */
export function extremesOf(buckets: readonly MetricBucket[]): { min: number; max: number } | undefined {
  let min = Number.NaN;
  let max = Number.NaN;
  for (const b of buckets) {
    if (!Number.isNaN(b.min.value) && !(b.min.value >= min)) min = b.min.value;
    if (!Number.isNaN(b.max.value) && !(b.max.value <= max)) max = b.max.value;
  }
  return Number.isNaN(min) ? undefined : { min, max };
}

function pointsOf(bucket: MetricBucket, axis: MetricAxis): MetricSample[] {
  if (bucket.count === 1) return [bucket.first];
  // first and last bound the bucket; min and max sit between them in axis order.
  const middle = [bucket.min, bucket.max].sort((a, b) => xOf(a, axis) - xOf(b, axis));
  const out: MetricSample[] = [];
  for (const sample of [bucket.first, ...middle, bucket.last]) {
    const previous = out[out.length - 1];
    if (previous === undefined || !sameSample(previous, sample)) out.push(sample);
  }
  return out;
}

function sameSample(a: MetricSample, b: MetricSample): boolean {
  return a.step === b.step && a.timestamp === b.timestamp && Object.is(a.value, b.value);
}
