/**
 * The cheapest model the prediction-log tests serve: a rules baseline `churn` that predicts 1 for
 * a tenure under 12 months, with a declared one-column contract. One definition for the server,
 * CLI and SDK tests of the log.
 */
import type { CreateBaselineRequest } from '@slipway/contracts';

/** `POST /api/v1/baselines` body (or `client.baselines.create` argument) registering `churn` v1. */
export const CHURN_RULES_BASELINE: CreateBaselineRequest = {
  name: 'churn',
  spec: { kind: 'rules', rules: [{ when: 'tenure < 12', then: 1 }], default: 0 },
  contract: {
    inputs: { kind: 'columns', fields: [{ name: 'tenure', type: 'float64', nullable: false }] },
    outputs: { kind: 'columns', fields: [{ name: 'prediction', type: 'int64', nullable: false }] },
    source: 'declared',
  },
};
