/**
 * The promotion gate: a pure judgement of one candidate against one baseline in an evaluation report.
 * The verdict keeps every number it used, so the registry can record why an alias moved (or did not).
 */
import { invalidArgument } from '@slipway/contracts';
import type { PairedDifference } from '../stats/bootstrap.js';
import type {
  EvaluationReport,
  GatePair,
  GateSpec,
  GateVerdict,
  ModelReport,
  SliceCheck,
} from './evaluation-types.js';

/** Float noise allowed at a boundary, so 0.3 − 0.1 still meets a margin of 0.2. */
const TOLERANCE = 1e-12;

/** How much better a is than b on the gate's metric (negative = worse). */
function improvement(direction: GateSpec['direction'], a: number, b: number): number {
  return direction === 'higher' ? a - b : b - a;
}

/** The model with `id`, or the only model of `role` when no id is given. */
function pick(report: EvaluationReport, role: ModelReport['role'], id: string | undefined): ModelReport {
  const field = `gate.${role}`;
  if (id !== undefined) {
    const found = report.models.find((m) => m.id === id && m.role === role);
    if (found === undefined) throw invalidArgument(field, `the report has no ${role} '${id}'`);
    return found;
  }
  const all = report.models.filter((m) => m.role === role);
  if (all.length !== 1) {
    throw invalidArgument(
      field,
      `the report has ${all.length} ${role}s; name the one the gate should compare`,
    );
  }
  return all[0] as ModelReport;
}

/** Rejects a gate that cannot be judged (bad numbers), as opposed to one that fails. */
function checkGate(gate: GateSpec, report: EvaluationReport): void {
  if (gate.threshold !== undefined && !Number.isFinite(gate.threshold)) {
    throw invalidArgument('gate.threshold', 'threshold must be a finite number');
  }
  if (gate.margin !== undefined && !(gate.margin.value >= 0 && Number.isFinite(gate.margin.value))) {
    throw invalidArgument('gate.margin.value', 'margin must be a finite, non-negative number');
  }
  if (gate.slices !== undefined && !report.slices.some((g) => g.column === gate.slices?.column)) {
    throw invalidArgument('gate.slices.column', `the report has no slices on column '${gate.slices.column}'`);
  }
}

/** The improvement the margin demands over baseline value b. */
function requiredImprovement(gate: GateSpec, b: number): number {
  const margin = gate.margin ?? { kind: 'absolute', value: 0 };
  return margin.kind === 'absolute' ? margin.value : margin.value * Math.abs(b);
}

/** The value the candidate must reach: the stricter of the threshold and baseline + margin. */
function requiredValue(gate: GateSpec, b: number | null): number | null {
  const fromBaseline =
    b === null
      ? null
      : gate.direction === 'higher'
        ? b + requiredImprovement(gate, b)
        : b - requiredImprovement(gate, b);
  const candidates = [gate.threshold ?? null, fromBaseline].filter((x): x is number => x !== null);
  if (candidates.length === 0) return null;
  return gate.direction === 'higher' ? Math.max(...candidates) : Math.min(...candidates);
}

/** Formats a metric value for reasons. */
function fmt(x: number | null): string {
  return x === null ? 'undefined' : String(Number(x.toPrecision(6)));
}

/** Threshold check: one reason line, failing when the candidate misses it or has no value. */
function thresholdReason(gate: GateSpec, c: number | null): { ok: boolean; reason?: string } {
  if (gate.threshold === undefined) return { ok: true };
  const word = gate.direction === 'higher' ? 'at least' : 'at most';
  const ok = c !== null && improvement(gate.direction, c, gate.threshold) >= -TOLERANCE;
  return {
    ok,
    reason: `${ok ? 'pass' : 'fail'}: ${gate.metric} ${fmt(c)} must be ${word} ${fmt(gate.threshold)}`,
  };
}

/** Margin check against the baseline's value. */
function marginReason(gate: GateSpec, c: number | null, b: number | null): { ok: boolean; reason: string } {
  if (c === null || b === null) {
    return {
      ok: false,
      reason: `fail: ${gate.metric} is undefined for the ${c === null ? 'candidate' : 'baseline'}`,
    };
  }
  const need = requiredImprovement(gate, b);
  const got = improvement(gate.direction, c, b);
  const ok = got >= need - TOLERANCE;
  const kind = gate.margin?.kind === 'relative' ? ` (${fmt(gate.margin.value * 100)}% of the baseline)` : '';
  return {
    ok,
    reason: `${ok ? 'pass' : 'fail'}: ${gate.metric} ${fmt(c)} vs baseline ${fmt(b)} is ${fmt(got)} better; ${fmt(need)}${kind} required`,
  };
}

/** Per-slice degradation checks on the gate's slice column. */
function sliceChecks(
  gate: GateSpec,
  report: EvaluationReport,
  candidate: string,
  baseline: string,
): SliceCheck[] {
  const spec = gate.slices;
  if (spec === undefined) return [];
  const group = report.slices.find((g) => g.column === spec.column);
  return (group?.slices ?? []).map((slice) => {
    const c = slice.models[candidate]?.[gate.metric] ?? null;
    const b = slice.models[baseline]?.[gate.metric] ?? null;
    const degradation = c === null || b === null ? null : improvement(gate.direction, b, c);
    const checked = slice.rows >= spec.minRows && degradation !== null;
    const passed = !checked || (degradation as number) <= spec.maxDegradation + TOLERANCE;
    return {
      column: spec.column,
      slice: slice.label,
      rows: slice.rows,
      candidate: c,
      baseline: b,
      degradation,
      checked,
      passed,
    };
  });
}

/** One reason per slice that failed, plus a summary of what was checked and ignored. */
function sliceReasons(gate: GateSpec, checks: SliceCheck[]): string[] {
  if (gate.slices === undefined) return [];
  const failed = checks.filter((s) => !s.passed);
  const ignored = checks.length - checks.filter((s) => s.checked).length;
  const lines = failed.map(
    (s) =>
      `fail: slice ${s.column}=${s.slice} (${s.rows} rows) ${gate.metric} ${fmt(s.candidate)} vs baseline ${fmt(s.baseline)} degrades by ${fmt(s.degradation)} > ${fmt(gate.slices?.maxDegradation ?? 0)}`,
  );
  const summary = `${failed.length === 0 ? 'pass' : 'fail'}: ${checks.length - ignored} slices of ${gate.slices.column} checked, ${failed.length} degraded beyond ${gate.slices.maxDegradation}, ${ignored} ignored (under ${gate.slices.minRows} rows or undefined)`;
  return [...lines, summary];
}

/** The paired-bootstrap CI of this pair's difference, when the report bootstrapped the gate's metric. */
function differenceCi(
  report: EvaluationReport,
  gate: GateSpec,
  candidate: string,
  baseline: string,
): PairedDifference | null {
  const b = report.bootstrap;
  if (b === undefined || b.headline !== gate.metric) return null;
  const found = b.differences.find((d) => d.candidate === candidate && d.baseline === baseline);
  if (found === undefined) return null;
  const { candidate: _c, baseline: _b, ...ci } = found;
  return ci;
}

/** Judges the gate: threshold AND margin over the baseline AND no large slice degraded too far. */
export function judgeGate(gate: GateSpec, report: EvaluationReport, pair: GatePair = {}): GateVerdict {
  checkGate(gate, report);
  const candidate = pick(report, 'candidate', pair.candidate);
  const baseline = pick(report, 'baseline', pair.baseline);
  if (!(gate.metric in candidate.metrics) && !(gate.metric in baseline.metrics)) {
    throw invalidArgument('gate.metric', `the report has no metric '${gate.metric}' for these models`);
  }
  const c = candidate.metrics[gate.metric] ?? null;
  const b = baseline.metrics[gate.metric] ?? null;
  const threshold = thresholdReason(gate, c);
  const margin = marginReason(gate, c, b);
  const checks = sliceChecks(gate, report, candidate.id, baseline.id);
  const reasons = [threshold.reason, margin.reason, ...sliceReasons(gate, checks)].filter(
    (r): r is string => r !== undefined,
  );
  return {
    passed: threshold.ok && margin.ok && checks.every((s) => s.passed),
    metric: gate.metric,
    direction: gate.direction,
    candidate: { id: candidate.id, value: c },
    baseline: { id: baseline.id, value: b },
    difference: c === null || b === null ? null : c - b,
    required: requiredValue(gate, b),
    threshold: gate.threshold ?? null,
    margin: gate.margin ?? { kind: 'absolute', value: 0 },
    sliceChecks: checks,
    differenceCi: differenceCi(report, gate, candidate.id, baseline.id),
    reasons,
  };
}
