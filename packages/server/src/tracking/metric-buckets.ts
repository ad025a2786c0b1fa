/**
 * Reduces a metric history to at most N equal slices of its axis, keeping in each slice the first,
 * last, lowest and highest observation (the M4 reduction). A line chart drawn through those four
 * points per pixel column looks like one drawn through every point, so a 100,000-point history
 * needs only a few thousand points on the wire, and no spike or dip disappears. Pure.
 */
import type { Metric, MetricAxis, MetricBucket, MetricBuckets, MetricSample } from '@slipway/contracts';

/** What to reduce: how many buckets, along which axis, optionally within [from, to]. */
export interface BucketRequest {
  buckets: number;
  axis: MetricAxis;
  /** Lowest axis value kept, inclusive. */
  from?: number;
  /** Highest axis value kept, inclusive. */
  to?: number;
}

/** Buckets the observations of one metric (any order); `key` names the history in the result. */
export function bucketMetricHistory(
  key: string,
  history: readonly Metric[],
  request: BucketRequest,
): MetricBuckets {
  const x = request.axis === 'step' ? stepOf : timeOf;
  const points = sortedAlong(
    history.filter((m) => inRange(x(m), request)),
    request.axis,
  );
  const base = { key, axis: request.axis, total: points.length };
  if (points.length <= request.buckets) {
    return { ...base, downsampled: false, buckets: points.map(singleton) };
  }
  return { ...base, downsampled: true, buckets: reduce(points, x, request.buckets) };
}

function reduce(points: readonly Metric[], x: (m: Metric) => number, buckets: number): MetricBucket[] {
  const lo = x(points[0]!);
  const width = (x(points[points.length - 1]!) - lo) / buckets;
  const out: MetricBucket[] = [];
  let current: MetricBucket | undefined;
  let currentIndex = -1;
  for (const point of points) {
    // Every point lands in bucket 0 when the whole range is one axis value (width 0).
    const index = width > 0 ? Math.min(buckets - 1, Math.floor((x(point) - lo) / width)) : 0;
    if (current === undefined || index !== currentIndex) {
      current = singleton(point);
      currentIndex = index;
      out.push(current);
    } else {
      absorb(current, point);
    }
  }
  return out;
}

function absorb(bucket: MetricBucket, point: Metric): void {
  const sample = sampleOf(point);
  bucket.count += 1;
  bucket.last = sample;
  if (lower(point.value, bucket.min.value)) bucket.min = sample;
  if (higher(point.value, bucket.max.value)) bucket.max = sample;
}

/** NaN is never an extreme while a number is around, so a NaN found first gives way to any number. */
function lower(value: number, than: number): boolean {
  return !Number.isNaN(value) && (Number.isNaN(than) || value < than);
}

function higher(value: number, than: number): boolean {
  return !Number.isNaN(value) && (Number.isNaN(than) || value > than);
}

function singleton(point: Metric): MetricBucket {
  const sample = sampleOf(point);
  return { count: 1, first: sample, last: sample, min: sample, max: sample };
}

function sampleOf(point: Metric): MetricSample {
  return { step: point.step, timestamp: point.timestamp, value: point.value };
}

function inRange(value: number, request: BucketRequest): boolean {
  return (
    (request.from === undefined || value >= request.from) && (request.to === undefined || value <= request.to)
  );
}

/** Orders along the axis; ties keep the other coordinate's order, as the history endpoint does. */
function sortedAlong(points: Metric[], axis: MetricAxis): Metric[] {
  const [a, b] = axis === 'step' ? [stepOf, timeOf] : [timeOf, stepOf];
  return points.sort((p, q) => a(p) - a(q) || b(p) - b(q));
}

function stepOf(m: Metric): number {
  return m.step;
}

function timeOf(m: Metric): number {
  return m.timestamp;
}
