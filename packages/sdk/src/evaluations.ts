/**
 * `client.evaluations`: score registered models (candidates and baselines) on one labelled dataset,
 * optionally judging a promotion gate, and read stored evaluations back. Every evaluation is
 * stored complete: the report, the verdict, and the run its metrics were logged to.
 */
import type {
  CreateEvaluationRequest,
  Evaluation,
  EvaluationListResponse,
  EvaluationResponse,
} from '@slipway/contracts';
import { pathOf, type QueryValues, type Transport } from './transport.js';

/** Options of `evaluations.list`. */
export interface ListEvaluationsOptions {
  /** Only evaluations of this registered model. */
  model?: string;
  /** With `model`: only evaluations of this version. */
  version?: string | number;
  /** Only gated promotion attempts. */
  promotions?: boolean;
  /** At most this many (default 100, max 1000). */
  limit?: number;
}

/** Evaluation operations of a client. */
export class EvaluationsApi {
  constructor(private readonly http: Transport) {}

  /**
   * Evaluates the models on the dataset and stores the result. Invalid settings, datasets or
   * models are InvalidArgumentError (`details.field` names the input); unknown models NotFoundError.
   */
  async create(request: CreateEvaluationRequest): Promise<Evaluation> {
    return (await this.http.json<EvaluationResponse>('POST', '/evaluations', { json: request })).evaluation;
  }

  /** Returns a stored evaluation; NotFoundError if absent. */
  async get(id: string): Promise<Evaluation> {
    return (await this.http.json<EvaluationResponse>('GET', pathOf('evaluations', id))).evaluation;
  }

  /** Stored evaluations matching the options, newest first. */
  async list(options: ListEvaluationsOptions = {}): Promise<Evaluation[]> {
    const query: QueryValues = {
      model: options.model,
      version: options.version === undefined ? undefined : String(options.version),
      promotions: options.promotions === undefined ? undefined : String(options.promotions),
      limit: options.limit,
    };
    return (await this.http.json<EvaluationListResponse>('GET', '/evaluations', { query })).evaluations;
  }
}
