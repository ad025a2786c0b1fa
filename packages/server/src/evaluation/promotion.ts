/**
 * Gated promotion: each registered model may carry an evaluation policy (held-out data, baseline,
 * gate). Promoting a version evaluates it against the baseline on that data and moves the alias only
 * if the gate passes; `force` moves it anyway, recorded as overridden. Every attempt, refused ones
 * included, is stored as an evaluation with its outcome, and the verdict travels in the alias event.
 *
 * The policy lives in a registered-model tag so it follows renames and deletes with the model; it is
 * validated when written through this service and again when read, because MLflow clients can
 * write tags too.
 */
import {
  EvaluationPolicySchema,
  SlipwayError,
  invalidArgument,
  notFound,
  type Evaluation,
  type EvaluationPolicy,
  type GateResult,
  type PromoteRequest,
  type PromoteResponse,
} from '@slipway/contracts';
import { Value } from 'typebox/value';
import { resolveModelSource } from '../registry/model-source.js';
import { EVALUATION_POLICY_TAG } from '../registry/protected-aliases.js';
import { validateAlias } from '../registry/registry-validation.js';
import { LIMITS } from '../tracking/tracking-limits.js';
import { datasetFormat } from './dataset-source.js';
import type { EvaluationService } from './evaluation-service.js';
import { scoringSettings } from './evaluation-service.js';
import { requireMetricName } from './metrics.js';
import { resolveVersion } from '../registry/version-loader.js';

/** Policies and gated promotion, on top of the evaluation service. */
export class PromotionService {
  constructor(private readonly evaluations: EvaluationService) {}

  /** Validates and stores a model's policy (replacing any previous one). */
  async setPolicy(name: string, policy: EvaluationPolicy): Promise<EvaluationPolicy> {
    const registry = this.evaluations.registry;
    await registry.getRegisteredModel(name);
    requireMetricName(policy.task, policy.gate.metric, 'gate.metric');
    if (policy.bootstrap !== undefined)
      requireMetricName(policy.task, policy.bootstrap.headline, 'bootstrap.headline');
    const baseline = await resolveVersion(registry, policy.baseline, 'baseline');
    if (baseline.name === name) {
      throw invalidArgument('baseline.name', 'the baseline must be another registered model');
    }
    (policy.protectedAliases ?? []).forEach((alias, i) => validateAlias(alias, `protectedAliases[${i}]`));
    datasetFormat(policy.dataset.uri, policy.dataset.format, 'dataset');
    const path = await resolveModelSource(
      policy.dataset.uri,
      this.evaluations.datasetDeps.tracking,
      'dataset.uri',
    );
    if (path === undefined) {
      throw invalidArgument('dataset.uri', `${policy.dataset.uri} is not in this server's artifact store`);
    }
    const json = JSON.stringify(policy);
    if (json.length > LIMITS.maxTagValueLength) {
      throw invalidArgument(
        'policy',
        `the policy is ${json.length} characters as JSON; at most ${LIMITS.maxTagValueLength} are stored`,
      );
    }
    await registry.setRegisteredModelTag(name, EVALUATION_POLICY_TAG, json);
    return policy;
  }

  /** The model's policy; NOT_FOUND when it has none, FAILED_PRECONDITION when the tag was corrupted. */
  async getPolicy(name: string): Promise<EvaluationPolicy> {
    const model = await this.evaluations.registry.getRegisteredModel(name);
    const raw = model.tags[EVALUATION_POLICY_TAG];
    if (raw === undefined)
      throw notFound(`Registered model '${name}' has no evaluation policy`, { field: 'name' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!Value.Check(EvaluationPolicySchema, parsed)) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `The ${EVALUATION_POLICY_TAG} tag of '${name}' does not hold a valid evaluation policy; set it again`,
        { field: 'name' },
      );
    }
    return parsed;
  }

  /** Removes the model's policy; NOT_FOUND when it has none. */
  async deletePolicy(name: string): Promise<void> {
    await this.getPolicy(name);
    await this.evaluations.registry.deleteRegisteredModelTag(name, EVALUATION_POLICY_TAG);
  }

  /**
   * Evaluates `version` against the policy's baseline and moves `alias` if the gate passes (or
   * `force`). A refusal is FAILED_PRECONDITION carrying the verdict and the stored evaluation's id.
   */
  async promote(
    name: string,
    version: string,
    request: PromoteRequest,
    actor: string,
  ): Promise<PromoteResponse> {
    const policy = await this.policyForPromotion(name);
    const evaluation = await this.evaluations.run(
      {
        ...scoringSettings(policy),
        dataset: policy.dataset,
        models: [
          { name, version, role: 'candidate' },
          { ...policy.baseline, role: 'baseline' },
        ],
        gate: policy.gate,
      },
      actor,
    );
    const verdict = evaluation.verdict;
    if (verdict === undefined) throw new Error('a gated evaluation always has a verdict');
    const outcome = { alias: request.alias, version };
    if (!verdict.passed && request.force !== true) {
      await this.evaluations.save(evaluation, { ...outcome, outcome: 'refused' });
      throw gateRefusal(name, version, request.alias, evaluation);
    }
    const forced = !verdict.passed;
    let moved;
    try {
      moved = await this.evaluations.registry.setAlias(
        {
          name,
          alias: request.alias,
          version,
          ...(request.reason === undefined ? {} : { reason: request.reason }),
          gate: gateEvidence(evaluation, forced),
          viaGate: true,
        },
        actor,
      );
    } catch (error) {
      // The evaluation happened and stays findable; it just led to no alias move.
      await this.evaluations.save(evaluation);
      throw error;
    }
    const stored = await this.evaluations.save(evaluation, {
      ...outcome,
      outcome: forced ? 'forced' : 'promoted',
    });
    return { forced, event: moved.event, evaluation: stored };
  }

  /** A model without a policy cannot pass a gate: say how to get one. */
  private async policyForPromotion(name: string): Promise<EvaluationPolicy> {
    try {
      return await this.getPolicy(name);
    } catch (error) {
      if (!(error instanceof SlipwayError && error.code === 'NOT_FOUND' && error.details.field === 'name'))
        throw error;
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Registered model '${name}' has no evaluation policy, so no gate can pass; set one ` +
          '(slipway models gate set, or PUT /api/v1/models/{name}/evaluation-policy)',
        { field: 'name' },
      );
    }
  }
}

/** What the alias event records: the verdict with every number, and where it came from. */
function gateEvidence(evaluation: Evaluation, forced: boolean): GateResult {
  const verdict = evaluation.verdict;
  if (verdict === undefined) throw new Error('a gated evaluation always has a verdict');
  return {
    ...verdict,
    evaluationId: evaluation.id,
    gate: evaluation.gate,
    dataset: evaluation.dataset,
    ...(forced ? { overridden: true } : {}),
  };
}

/** The refusal of a failed gate: the reasons in the message, the numbers in the details. */
function gateRefusal(name: string, version: string, alias: string, evaluation: Evaluation): SlipwayError {
  const reasons = evaluation.verdict?.reasons.filter((r) => r.startsWith('fail')) ?? [];
  return new SlipwayError(
    'FAILED_PRECONDITION',
    `${name}/${version} did not pass the gate for @${alias}: ${reasons.join('; ')}`,
    { field: 'version', evaluationId: evaluation.id, verdict: evaluation.verdict },
  );
}
