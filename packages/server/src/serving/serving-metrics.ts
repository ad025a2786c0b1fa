/**
 * Prometheus metrics of the serving data plane, on a registry of their own (never prom-client's
 * global one, so two platforms in one process, as in tests, do not collide). Requests are counted
 * per endpoint, protocol and status at the HTTP edge; model calls per endpoint, model version and
 * arm inside the serving manager; queue depth and drops are read from the prediction log on scrape.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TrafficArm } from '@slipway/contracts';
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

/** The serving metrics and their text exposition. */
export class ServingMetrics implements ModelCallObserver {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'protocol' | 'status'>;
  private readonly requestSeconds: Histogram<'endpoint' | 'protocol'>;
  private readonly modelSeconds: Histogram<'endpoint' | 'version' | 'arm'>;
  private readonly modelRows: Histogram<'endpoint' | 'arm'>;
  private readonly inFlight: Gauge<'endpoint'>;

  constructor(predictionLog?: () => PredictionQueueStats) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'slipway_serving_requests_total',
      help: 'Predict requests by endpoint, protocol and HTTP status.',
      labelNames: ['endpoint', 'protocol', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'slipway_serving_request_seconds',
      help: 'Predict request latency at the HTTP edge (decode, validate, predict, encode).',
      labelNames: ['endpoint', 'protocol'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.modelSeconds = new Histogram({
      name: 'slipway_serving_model_seconds',
      help: 'Model call latency by endpoint, model version and traffic arm.',
      labelNames: ['endpoint', 'version', 'arm'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.modelRows = new Histogram({
      name: 'slipway_serving_model_call_rows',
      help: 'Rows per model call (batch size) by endpoint and arm.',
      labelNames: ['endpoint', 'arm'],
      buckets: ROW_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'slipway_serving_in_flight_requests',
      help: 'Predict requests being served now, by endpoint.',
      labelNames: ['endpoint'],
      registers,
    });
    if (predictionLog !== undefined) this.registerQueueGauges(predictionLog);
  }

  /** Marks a request started; returns the function that records its end. */
  requestStarted(endpoint: string, protocol: string): (status: number) => void {
    const started = performance.now();
    this.inFlight.inc({ endpoint });
    return (status) => {
      this.inFlight.dec({ endpoint });
      this.requests.inc({ endpoint, protocol, status: String(status) });
      this.requestSeconds.observe({ endpoint, protocol }, (performance.now() - started) / 1000);
    };
  }

  /** Records one model call. */
  modelCall(endpoint: string, version: string, arm: TrafficArm, rows: number, seconds: number): void {
    this.modelSeconds.observe({ endpoint, version, arm }, seconds);
    this.modelRows.observe({ endpoint, arm }, rows);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerQueueGauges(stats: () => PredictionQueueStats): void {
    const registers = [this.registry];
    new Gauge({
      name: 'slipway_prediction_log_pending',
      help: 'Predictions waiting to be written to the prediction log.',
      registers,
      collect() {
        this.set(stats().pending);
      },
    });
    new Gauge({
      name: 'slipway_prediction_log_dropped',
      help: 'Predictions dropped because the prediction log queue was full (total since start).',
      registers,
      collect() {
        this.set(stats().dropped);
      },
    });
    new Gauge({
      name: 'slipway_prediction_log_written',
      help: 'Predictions written to the prediction log (total since start).',
      registers,
      collect() {
        this.set(stats().written);
      },
    });
  }
}
