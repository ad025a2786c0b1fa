/**
 * The evaluation store port: complete evaluations, findable by the model versions they scored.
 * Only finished reports are ever saved, so a reader never sees a partial result.
 */
import type { Evaluation } from '@slipway/contracts';

/** Which evaluations to list; newest first. */
export interface EvaluationQuery {
  /** Only evaluations that scored a version of this registered model. */
  model?: string;
  /** With `model`: only evaluations that scored this version. */
  version?: string;
  /** Only gated promotion attempts (evaluations with a `promotion`). */
  promotions?: boolean;
  limit: number;
}

/** Persists evaluations; implemented on SQLite and PostgreSQL (storage/sql). */
export interface EvaluationStore {
  /** Saves a complete evaluation atomically (its record and its model index); ALREADY_EXISTS on a reused id. */
  saveEvaluation(evaluation: Evaluation): Promise<void>;
  /** The evaluation with `id`, if any. */
  getEvaluation(id: string): Promise<Evaluation | undefined>;
  /** Evaluations matching `query`, newest first (ties: the later saved first). */
  listEvaluations(query: EvaluationQuery): Promise<Evaluation[]>;
}
