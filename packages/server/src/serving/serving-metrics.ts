/**
 * Prometheus metrics of the serving data plane, held per platform (two platforms in one process,
 * as in tests, never share a series). Requests are counted
 * per endpoint, protocol and status at the HTTP edge; model calls per endpoint, model version and
 * arm inside the serving manager; queue depth and drops are read from the prediction log on scrape.
 */
import type { TrafficArm } from '@slipway/contracts';
import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  PROMETHEUS_CONTENT_TYPE,
  renderFamilies,
  type HistogramChild,
  type ValueChild,
} from './metric-families.js';
import type { PredictionQueueStats } from './prediction-queue.js';

/** Latency buckets in seconds: sub-millisecond model calls up to slow batch-sized requests. */
const LATENCY_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Rows-per-call buckets. */
const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/** What the serving manager reports about each model call. */
export interface ModelCallObserver {
  /** One model call for `rows` rows that took `seconds` (shadows included, with arm `shadow`). */
  modelCall(endpoint: string, version: string, arm: TrafficArm, rows: number, seconds: number): void;
}

/** The children one endpoint and protocol's requests update, looked up once per pair. */
interface RequestSeries {
  inFlight: ValueChild;
  seconds: HistogramChild;
  byStatus: Map<number, ValueChild>;
}

/** The children one endpoint, version and arm's model calls update. */
interface ModelSeries {
  seconds: HistogramChild;
  rows: HistogramChild;
}

/** The serving metrics and their text exposition (one set per platform, never process-global). */
export class ServingMetrics implements ModelCallObserver {
  private readonly requests = new CounterFamily(
    'slipway_serving_requests_total',
    'Predict requests by endpoint, protocol and HTTP status.',
    ['endpoint', 'protocol', 'status'],
  );
  private readonly requestSeconds = new HistogramFamily(
    'slipway_serving_request_seconds',
    'Predict request latency at the HTTP edge (read, decode, validate, predict, encode).',
    ['endpoint', 'protocol'],
    LATENCY_BUCKETS,
  );
  private readonly modelSeconds = new HistogramFamily(
    'slipway_serving_model_seconds',
    'Model call latency by endpoint, model version and traffic arm (one per coalesced call).',
    ['endpoint', 'version', 'arm'],
    LATENCY_BUCKETS,
  );
  private readonly modelRows = new HistogramFamily(
    'slipway_serving_model_call_rows',
    'Rows per model call (the coalesced batch size) by endpoint and arm.',
    ['endpoint', 'arm'],
    ROW_BUCKETS,
  );
  private readonly inFlight = new GaugeFamily(
    'slipway_serving_in_flight_requests',
    'Predict requests being served now, by endpoint.',
    ['endpoint'],
  );
  private readonly queueGauges: GaugeFamily[];
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly modelSeries = new Map<string, ModelSeries>();

  constructor(predictionLog?: () => PredictionQueueStats) {
    this.queueGauges = predictionLog === undefined ? [] : queueGauges(predictionLog);
  }

  /** Marks a request started; returns the function that records its end with its HTTP status. */
  requestStarted(endpoint: string, protocol: string): (status: number) => void {
    const series = this.seriesOf(endpoint, protocol);
    const started = performance.now();
    series.inFlight.value++;
    return (status) => {
      series.inFlight.value--;
      let counter = series.byStatus.get(status);
      if (counter === undefined) {
        counter = this.requests.child([endpoint, protocol, String(status)]);
        series.byStatus.set(status, counter);
      }
      counter.value++;
      series.seconds.observe((performance.now() - started) / 1000);
    };
  }

  /** Records one model call. */
  modelCall(endpoint: string, version: string, arm: TrafficArm, rows: number, seconds: number): void {
    const key = `${endpoint}\u0000${version}\u0000${arm}`;
    let series = this.modelSeries.get(key);
    if (series === undefined) {
      series = {
        seconds: this.modelSeconds.child([endpoint, version, arm]),
        rows: this.modelRows.child([endpoint, arm]),
      };
      this.modelSeries.set(key, series);
    }
    series.seconds.observe(seconds);
    series.rows.observe(rows);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    const families = [
      this.requests,
      this.requestSeconds,
      this.modelSeconds,
      this.modelRows,
      this.inFlight,
      ...this.queueGauges,
    ];
    return { contentType: PROMETHEUS_CONTENT_TYPE, body: renderFamilies(families) };
  }

  private seriesOf(endpoint: string, protocol: string): RequestSeries {
    const key = `${endpoint}\u0000${protocol}`;
    let series = this.requestSeries.get(key);
    if (series === undefined) {
      series = {
        inFlight: this.inFlight.child([endpoint]),
        seconds: this.requestSeconds.child([endpoint, protocol]),
        byStatus: new Map(),
      };
      this.requestSeries.set(key, series);
    }
    return series;
  }
}

/** The prediction log's gauges, read from its counters at scrape time. */
function queueGauges(stats: () => PredictionQueueStats): GaugeFamily[] {
  return [
    new GaugeFamily(
      'slipway_prediction_log_pending',
      'Predictions waiting to be written to the prediction log.',
      [],
      () => stats().pending,
    ),
    new GaugeFamily(
      'slipway_prediction_log_dropped',
      'Predictions dropped because the prediction log queue was full (total since start).',
      [],
      () => stats().dropped,
    ),
    new GaugeFamily(
      'slipway_prediction_log_failing',
      'Whether the prediction log store is failing its writes now (1) or not (0); /readyz fails meanwhile.',
      [],
      () => (stats().failing ? 1 : 0),
    ),
    new GaugeFamily(
      'slipway_prediction_log_written',
      'Predictions written to the prediction log (total since start).',
      [],
      () => stats().written,
    ),
  ];
}
