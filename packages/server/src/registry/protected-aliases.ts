/**
 * Protected aliases: a registered model's evaluation policy may name aliases (say `champion`) that
 * only a gated promotion can move. The policy lives in a model tag (see evaluation/promotion.ts); the
 * registry reads just this one list from it, so every alias write path (native, MLflow) obeys it.
 */

/** Registered-model tag holding the evaluation policy as JSON. */
export const EVALUATION_POLICY_TAG = 'slipway.evaluation_policy';

/** The aliases the model's policy protects; none when there is no readable policy. */
export function protectedAliasesOf(tags: Readonly<Record<string, string>>): string[] {
  const raw = tags[EVALUATION_POLICY_TAG];
  if (raw === undefined) return [];
  try {
    const parsed = JSON.parse(raw) as { protectedAliases?: unknown };
    const list = parsed.protectedAliases;
    return Array.isArray(list) ? list.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    // A corrupted policy already blocks gated promotion (it cannot be read); it protects nothing here.
    return [];
  }
}
