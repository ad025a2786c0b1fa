/**
 * What the registry pages show, derived from the SDK's records: the latest version of a model, an
 * evaluation's metrics side by side, and a sentence per history event. Pure.
 */
import type {
  ContractField,
  Evaluation,
  EvaluationModel,
  GateVerdict,
  RegisteredModel,
  RegistryEvent,
} from '@slipway/contracts';
import { formatNumber } from '../format.js';

/** The highest version number among a model's latest versions, or undefined when it has none. */
export function latestVersion(model: RegisteredModel): string | undefined {
  let best: string | undefined;
  for (const v of model.latestVersions) {
    if (best === undefined || Number(v.version) > Number(best)) best = v.version;
  }
  return best;
}

/** One metric of an evaluation: each model's value, in column order, and each candidate's lead over the baseline. */
export interface MetricRow {
  metric: string;
  /** Per column: the value, null when undefined on these rows, undefined when the model cannot give it. */
  values: (number | null | undefined)[];
  /** Per column: candidate − baseline for candidates (when both are numbers), undefined otherwise. */
  differences: (number | undefined)[];
  /** True for the metric the gate judged. */
  gated: boolean;
}

/** An evaluation's metrics as a table: one column per model (candidates first, then baselines). */
export interface MetricTable {
  columns: EvaluationModel[];
  rows: MetricRow[];
  /** The baseline the differences are taken against (the first one), if any. */
  baseline: EvaluationModel | undefined;
}

/** Lays out an evaluation's whole-dataset metrics side by side, the gated metric first. */
export function metricTable(evaluation: Evaluation): MetricTable {
  const columns = [
    ...evaluation.models.filter((m) => m.role === 'candidate'),
    ...evaluation.models.filter((m) => m.role === 'baseline'),
  ];
  const baseline = columns.find((m) => m.role === 'baseline');
  const metricsOf = new Map(evaluation.report.models.map((m) => [m.id, m.metrics]));
  const names = new Set<string>();
  for (const m of evaluation.report.models) for (const key of Object.keys(m.metrics)) names.add(key);
  const gated = evaluation.gate?.metric;
  const ordered = [...names].sort((a, b) => Number(b === gated) - Number(a === gated) || a.localeCompare(b));
  const rows = ordered.map((metric): MetricRow => {
    const values = columns.map((c) => metricsOf.get(c.id)?.[metric]);
    const base = baseline === undefined ? undefined : metricsOf.get(baseline.id)?.[metric];
    const differences = columns.map((c, i) => {
      const value = values[i];
      if (c.role !== 'candidate' || typeof value !== 'number' || typeof base !== 'number') return undefined;
      return value - base;
    });
    return { metric, values, differences, gated: metric === gated };
  });
  return { columns, rows, baseline };
}

/** The margin a gate asked for, e.g. `+0.02 absolute` or `+2% relative`. */
export function describeMargin(margin: GateVerdict['margin']): string {
  return margin.kind === 'relative'
    ? `+${formatNumber(margin.value * 100)}% of the baseline`
    : `+${formatNumber(margin.value)} absolute`;
}

/** A signed number for a difference, e.g. `+0.031` or `−0.2`. */
export function formatDifference(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (value > 0) return `+${formatNumber(value)}`;
  if (value < 0) return `−${formatNumber(-value)}`;
  return '0';
}

/** The kind of mark a history event gets on the timeline. */
export type EventKind = 'promotion' | 'alias' | 'alias-deleted' | 'version' | 'model';

/** A history event as the timeline tells it. */
export interface EventView {
  kind: EventKind;
  /** e.g. `champion moved from v1 to v2`. */
  title: string;
  /** The evaluation behind a gated move, when the event records one. */
  evaluationId: string | undefined;
  /** The gate's outcome for a gated move: passed, failed and overridden, or undefined for an ungated event. */
  gate: 'passed' | 'overridden' | undefined;
}

/** Tells what a registry event did, in one line. */
export function describeEvent(event: RegistryEvent): EventView {
  const evaluationId =
    typeof event.gate?.['evaluationId'] === 'string' ? event.gate['evaluationId'] : undefined;
  const gate = event.gate === undefined ? undefined : event.gate.passed ? 'passed' : 'overridden';
  const base = { evaluationId, gate } as const;
  const alias = event.alias ?? '';
  switch (event.type) {
    case 'alias.set': {
      const title =
        event.fromVersion === undefined
          ? `${alias} set to v${event.toVersion ?? '?'}`
          : `${alias} moved from v${event.fromVersion} to v${event.toVersion ?? '?'}`;
      return { ...base, kind: event.gate === undefined ? 'alias' : 'promotion', title };
    }
    case 'alias.deleted':
      return {
        ...base,
        kind: 'alias-deleted',
        title: `${alias} removed${event.fromVersion === undefined ? '' : ` (was v${event.fromVersion})`}`,
      };
    case 'model_version.created':
      return { ...base, kind: 'version', title: `Version ${event.version ?? '?'} registered` };
    case 'model_version.deleted':
      return { ...base, kind: 'version', title: `Version ${event.version ?? '?'} deleted` };
    case 'registered_model.created':
      return { ...base, kind: 'model', title: 'Model created' };
    case 'registered_model.renamed':
      return { ...base, kind: 'model', title: `Renamed to ${event.modelName}` };
    case 'registered_model.deleted':
      return { ...base, kind: 'model', title: 'Model deleted' };
  }
}

/** A field's allowed values in a few words: categories or a numeric range, empty when unconstrained. */
export function describeConstraint(field: ContractField): string {
  if (field.categories !== undefined) return `one of ${field.categories.map(String).join(', ')}`;
  const { min, max } = field.range ?? {};
  if (min !== undefined && max !== undefined) return `${formatNumber(min)} to ${formatNumber(max)}`;
  if (min !== undefined) return `≥ ${formatNumber(min)}`;
  if (max !== undefined) return `≤ ${formatNumber(max)}`;
  return '';
}

/** A tensor shape as `[-1, 2]` with dynamic dimensions shown as `?`, or empty for a scalar column. */
export function formatShape(shape: readonly number[] | undefined): string {
  if (shape === undefined) return '';
  return `[${shape.map((d) => (d === -1 ? '?' : String(d))).join(', ')}]`;
}
