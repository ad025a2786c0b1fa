/**
 * `client.baselines`: fit a constant or rules baseline from a labelled dataset (or take a complete
 * spec), write it as a `runtime: baseline` package and register it as a new version, in one call.
 */
import type { CreateBaselineRequest, CreateBaselineResponse } from '@slipway/contracts';
import type { Transport } from './transport.js';

/** Baseline operations of a client. */
export class BaselinesApi {
  constructor(private readonly http: Transport) {}

  /**
   * Creates and registers a baseline: exactly one of `fit` and `spec`. Returns the new version and
   * the spec as stored in its package (with the fitted constant, rule outputs and default).
   */
  async create(request: CreateBaselineRequest): Promise<CreateBaselineResponse> {
    return this.http.json<CreateBaselineResponse>('POST', '/baselines', { json: request });
  }
}
