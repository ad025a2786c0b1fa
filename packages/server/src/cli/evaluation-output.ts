/**
 * Human output of `slipway eval`, `slipway baselines` and `slipway models gate|promote` (the
 * `--json` output is the API's shape), and the parsing of the options they share: model
 * references, slices, bootstrap and gate settings.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  invalidArgument,
  type BootstrapSpec,
  type ClassValue,
  type CreateBaselineResponse,
  type Evaluation,
  type EvaluationPolicy,
  type EvaluationReport,
  type EvaluationTask,
  type GateSpec,
  type GateVerdict,
  type ModelVersionRef,
  type PromoteResponse,
  type ScoringSettings,
  type SliceSpec,
} from '@slipway/contracts';
import { parseModelUri } from '../registry/model-uri.js';
import { formatFields, formatTable, parsePositiveInt } from './output.js';

// ---------------------------------------------------------------------------------------------
// Option parsing
// ---------------------------------------------------------------------------------------------

/** Experiment of the runs `slipway eval` and `models gate set` create, unless `--experiment` names another. */
export const EVALUATION_EXPERIMENT = 'slipway-evaluations';

/** Bootstrap seed when `--seed` is not given, so reruns give the same intervals. */
export const DEFAULT_SEED = 42;

/** The scoring options `slipway eval` and `models gate set` share, as commander parses them. */
export interface ScoringFlags {
  minSliceRows?: number;
  positiveLabel?: ClassValue;
  predictionField?: string;
  scoreField?: string;
  queryColumn?: string;
  k?: number;
}

/** Adds the output-field, positive-class and ranking options both commands take. */
export function addScoringOptions(command: Command): Command {
  return command
    .option(
      '--positive-label <value>',
      'binary: the positive class (default: the larger class)',
      parseClassValue,
    )
    .option(
      '--prediction-field <field>',
      'the model output read as the prediction (default label / prediction)',
    )
    .option(
      '--score-field <field>',
      'binary: the score read without probabilities; ranking: the score ranked by (default score, else prediction)',
    )
    .option('--query-column <column>', 'ranking: the query id column rows are grouped by (required there)')
    .option(
      '--k <n>',
      "ranking: cutoff of every metric, e.g. NDCG@10 (default: each query's whole list)",
      parsePositiveInt,
    );
}

/** The scoring settings the shared flags give (only those set). */
export function scoringFieldsOf(flags: ScoringFlags): Partial<ScoringSettings> {
  const fields: Partial<ScoringSettings> = {};
  if (flags.minSliceRows !== undefined) fields.minSliceRows = flags.minSliceRows;
  if (flags.positiveLabel !== undefined) fields.positiveLabel = flags.positiveLabel;
  if (flags.predictionField !== undefined) fields.predictionField = flags.predictionField;
  if (flags.scoreField !== undefined) fields.scoreField = flags.scoreField;
  if (flags.queryColumn !== undefined) fields.queryColumn = flags.queryColumn;
  if (flags.k !== undefined) fields.k = flags.k;
  return fields;
}

/**
 * `NAME/VERSION`, `NAME@ALIAS` or the same as a `models:/` URI, as the API's reference.
 * `latest` and stages are refused: an evaluation names exactly one version.
 */
export function parseModelRef(text: string, field: string): ModelVersionRef {
  const uri = text.startsWith('models:/') ? text : `models:/${text}`;
  const ref = parseModelUri(uri, field);
  if (ref.kind === 'version') return { name: ref.name, version: ref.version };
  if (ref.kind === 'alias') return { name: ref.name, alias: ref.alias };
  throw invalidArgument(
    field,
    `Invalid model reference '${text}': name a version (NAME/3) or an alias (NAME@champion).`,
  );
}

/** The reference as a person writes it: `name/3` or `name@champion`. */
export function formatModelRef(ref: ModelVersionRef): string {
  return ref.alias === undefined ? `${ref.name}/${ref.version ?? ''}` : `${ref.name}@${ref.alias}`;
}

/** Commander parser of a repeatable `--slice COL` or `--slice COL:10,20,50` (numeric bucket edges). */
export function collectSlice(raw: string, previous: SliceSpec[]): SliceSpec[] {
  return [...previous, parseSlice(raw)];
}

/** `COL` (one slice per value) or `COL:e1,e2,…` (numeric buckets). A column name may contain `:`. */
export function parseSlice(raw: string): SliceSpec {
  const colon = raw.lastIndexOf(':');
  if (colon > 0) {
    const edges = raw
      .slice(colon + 1)
      .split(',')
      .map((s) => s.trim());
    if (edges.every((e) => e !== '' && Number.isFinite(Number(e)))) {
      const buckets = edges.map(Number);
      if (buckets.some((e, i) => i > 0 && e <= (buckets[i - 1] ?? e))) {
        throw new InvalidArgumentError(`Bucket edges of '${raw}' must be strictly ascending.`);
      }
      return { column: raw.slice(0, colon), buckets };
    }
  }
  if (raw === '') throw new InvalidArgumentError('Expected a column name.');
  return { column: raw };
}

/** Commander parser of a finite number. */
export function parseFiniteNumber(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new InvalidArgumentError('Expected a number.');
  return value;
}

/** Commander parser of a non-negative number. */
export function parseNonNegativeNumber(raw: string): number {
  const value = parseFiniteNumber(raw);
  if (value < 0) throw new InvalidArgumentError('Expected a number >= 0.');
  return value;
}

/** Commander parser of a number strictly between 0 and 1 (a confidence level). */
export function parseConfidence(raw: string): number {
  const value = parseFiniteNumber(raw);
  if (value <= 0 || value >= 1)
    throw new InvalidArgumentError('Expected a number between 0 and 1, e.g. 0.95.');
  return value;
}

/** Commander parser of a non-negative integer. */
export function parseCount(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError('Expected an integer >= 0.');
  return value;
}

/** A class label typed on the command line: a number when it reads as one, `true`/`false`, else text. */
export function parseClassValue(raw: string): ClassValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
}

/** Metrics where lower is better; every other metric of the evaluation is higher-is-better. */
const LOWER_IS_BETTER = new Set(['mae', 'mse', 'rmse', 'mape', 'medianAbsoluteError', 'logLoss', 'brier']);

/** Whether higher values of `metric` are better, when that is known without being told. */
export function defaultDirection(metric: string): 'higher' | 'lower' | undefined {
  if (LOWER_IS_BETTER.has(metric)) return 'lower';
  if (metric.startsWith('residual')) return undefined;
  return 'higher';
}

/** The metric reported first when no headline is named. */
export function defaultHeadline(task: EvaluationTask): string {
  if (task === 'ranking') return 'ndcg';
  return task === 'regression' ? 'rmse' : 'accuracy';
}

/** The gate options a command parsed. */
export interface GateFlags {
  metric: string;
  direction?: 'higher' | 'lower';
  threshold?: number;
  margin?: number;
  relativeMargin?: boolean;
  sliceColumn?: string;
  sliceMinRows?: number;
  sliceMaxDegradation?: number;
}

/** Default of `--slice-min-rows`: the evaluation's own default for trusting a slice. */
export const DEFAULT_GATE_SLICE_MIN_ROWS = 30;

/** A gate spec from its options; the direction is inferred from well-known metrics when not given. */
export function gateSpecOf(flags: GateFlags): GateSpec {
  const direction = flags.direction ?? defaultDirection(flags.metric);
  if (direction === undefined) {
    throw invalidArgument(
      'direction',
      `Say whether higher or lower ${flags.metric} is better (--direction).`,
    );
  }
  if (flags.relativeMargin && flags.margin === undefined) {
    throw invalidArgument('margin', '--relative-margin needs --margin (e.g. --margin 0.02 for 2%).');
  }
  const gate: GateSpec = { metric: flags.metric, direction };
  if (flags.threshold !== undefined) gate.threshold = flags.threshold;
  if (flags.margin !== undefined) {
    gate.margin = { kind: flags.relativeMargin ? 'relative' : 'absolute', value: flags.margin };
  }
  if (flags.sliceColumn !== undefined) {
    gate.slices = {
      column: flags.sliceColumn,
      minRows: flags.sliceMinRows ?? DEFAULT_GATE_SLICE_MIN_ROWS,
      maxDegradation: flags.sliceMaxDegradation ?? 0,
    };
  } else if (flags.sliceMinRows !== undefined || flags.sliceMaxDegradation !== undefined) {
    throw invalidArgument(
      'slice-column',
      '--slice-min-rows and --slice-max-degradation need --slice-column.',
    );
  }
  return gate;
}

/** The bootstrap options a command parsed. */
export interface BootstrapFlags {
  bootstrap?: number;
  headline?: string;
  confidence: number;
  seed: number;
}

/** Bootstrap settings, or undefined without `--bootstrap N`; the headline defaults to `fallback`. */
export function bootstrapSpecOf(flags: BootstrapFlags, fallback: string): BootstrapSpec | undefined {
  if (flags.bootstrap === undefined) {
    if (flags.headline !== undefined) {
      throw invalidArgument(
        'headline',
        '--headline names the metric --bootstrap N resamples; add --bootstrap.',
      );
    }
    return undefined;
  }
  return {
    resamples: flags.bootstrap,
    seed: flags.seed,
    confidence: flags.confidence,
    headline: flags.headline ?? fallback,
  };
}

/** The slices with `column` added (one slice per value) when none of them slices it yet. */
export function withSliceColumn(slices: SliceSpec[], column: string | undefined): SliceSpec[] {
  if (column === undefined || slices.some((s) => s.column === column)) return slices;
  return [...slices, { column }];
}

// ---------------------------------------------------------------------------------------------
// Evaluations
// ---------------------------------------------------------------------------------------------

/** A metric value: 4 decimals, `n/a` when undefined on the rows (null), `-` when the model cannot give it. */
export function formatMetric(value: number | null | undefined): string {
  if (value === undefined) return '-';
  if (value === null) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toPrecision(3);
  return value.toFixed(4);
}

/** The whole human report of an evaluation: header, metric table, intervals, slices and verdict. */
export function evaluationSummary(evaluation: Evaluation): string {
  const { report, dataset } = evaluation;
  const parts = [
    `Evaluation ${evaluation.id}${evaluation.runId ? ` (run ${evaluation.runId})` : ''}\n`,
    formatFields([
      ['Dataset', `${dataset.uri ?? 'inline rows'}, ${plural(dataset.rows, 'row')}, ${dataset.digest}`],
      ['Task', taskLine(report)],
    ]),
    `\n${metricTable(report)}`,
  ];
  const headline = headlineOf(evaluation);
  const details = detailsSection(report);
  if (details !== '') parts.push(`\n${details}`);
  if (report.bootstrap) parts.push(`\n${bootstrapSection(report)}`);
  if (report.slices.length > 0) parts.push(`\n${slicesSection(report, headline)}`);
  if (evaluation.verdict) parts.push(`\n${verdictSection(evaluation.verdict)}`);
  return parts.join('');
}

/** One row per metric (in the order the models report them), one column per model; baselines are marked. */
export function metricTable(report: EvaluationReport): string {
  const names: string[] = [];
  for (const model of report.models) {
    for (const name of Object.keys(model.metrics)) if (!names.includes(name)) names.push(name);
  }
  return formatTable(
    ['METRIC', ...report.models.map(modelHeader)],
    names.map((name) => [name, ...report.models.map((m) => formatMetric(m.metrics[name]))]),
  );
}

/** Confusion matrices beyond this many classes are left to `--json`: they would not fit a terminal. */
const MAX_PRINTED_CLASSES = 10;

/** Per model: its confusion matrix and, for binary scorers, the threshold metrics and best threshold. */
export function detailsSection(report: EvaluationReport): string {
  const classes = (report.classes ?? []).map(String);
  const parts: string[] = [];
  for (const model of report.models) {
    const details = model.details;
    if (details === undefined) continue;
    const lines = [`Confusion matrix of ${modelHeader(model)} (rows: true, columns: predicted)\n`];
    if (classes.length <= MAX_PRINTED_CLASSES) {
      lines.push(
        formatTable(
          ['TRUE \\ PREDICTED', ...classes],
          details.confusionMatrix.map((row, i) => [classes[i] ?? '', ...row.map(String)]),
        ),
      );
    } else {
      lines.push(`(${classes.length} classes: see --json)\n`);
    }
    const at = details.threshold;
    if (at !== undefined) {
      const m = at.metrics;
      lines.push(
        `At threshold ${at.value}: precision ${formatMetric(m.precision)}, recall ${formatMetric(m.recall)}, ` +
          `f1 ${formatMetric(m.f1)}, accuracy ${formatMetric(m.accuracy)}\n`,
      );
    }
    const best = details.bestThreshold;
    if (best !== undefined) {
      lines.push(
        `Best threshold for ${best.metric}: ${formatMetric(best.value)} (${formatMetric(best.score)})\n`,
      );
    }
    parts.push(lines.join(''));
  }
  return parts.join('\n');
}

/** The headline metric: the bootstrap's, else the gate's, else the first metric reported. */
export function headlineOf(evaluation: Evaluation): string | undefined {
  const { report } = evaluation;
  return (
    report.bootstrap?.headline ??
    evaluation.gate?.metric ??
    report.models.flatMap((m) => Object.keys(m.metrics))[0]
  );
}

/** Bootstrap CIs of the headline metric per model, then of each candidate − baseline difference. */
export function bootstrapSection(report: EvaluationReport): string {
  const boot = report.bootstrap;
  if (!boot) return '';
  const level = `${formatPercent(boot.confidence)} CI`;
  const unit =
    boot.resampledQueries === undefined ? '' : `, resampling ${plural(boot.resampledQueries, 'query')}`;
  const lines = [
    `Bootstrap ${level} of ${boot.headline} (${boot.resamples} resamples${unit}, seed ${boot.seed})\n`,
    formatTable(
      ['MODEL', 'ESTIMATE', 'LOWER', 'UPPER', 'DROPPED'],
      report.models
        .filter((m) => boot.models[m.id] !== undefined)
        .map((m) => {
          const ci = boot.models[m.id];
          return [
            modelHeader(m),
            formatMetric(ci?.estimate),
            formatMetric(ci?.lower),
            formatMetric(ci?.upper),
            String(ci?.droppedNaN ?? 0),
          ];
        }),
    ),
  ];
  if (boot.differences.length > 0) {
    lines.push(
      `\nPaired differences of ${boot.headline} (candidate - baseline, ${level})\n`,
      formatTable(
        ['CANDIDATE', 'BASELINE', 'DIFFERENCE', 'LOWER', 'UPPER', 'SHARE > 0'],
        boot.differences.map((d) => [
          d.candidate,
          d.baseline,
          formatSigned(d.estimate),
          formatSigned(d.lower),
          formatSigned(d.upper),
          formatPercent(d.shareAboveZero),
        ]),
      ),
    );
  }
  return lines.join('');
}

/** Per slicing column: each slice's rows and every model's headline metric; small slices flagged. */
export function slicesSection(report: EvaluationReport, headline: string | undefined): string {
  const metric = headline ?? '';
  const ranking = report.task === 'ranking';
  const out: string[] = [];
  for (const [i, group] of report.slices.entries()) {
    const small = group.slices.filter((s) => s.small).length;
    out.push(
      `${i > 0 ? '\n' : ''}Slices by ${group.column}: ${metric}` +
        (small > 0 ? ` (* = under ${report.minSliceRows} rows, too few to act on)` : '') +
        '\n',
    );
    out.push(
      formatTable(
        ['SLICE', 'ROWS', ...(ranking ? ['QUERIES'] : []), ...report.models.map(modelHeader)],
        group.slices.map((s) => [
          s.small ? `${s.label} *` : s.label,
          String(s.rows),
          ...(ranking ? [String(s.queries ?? '-')] : []),
          ...report.models.map((m) => formatMetric(s.models[m.id]?.[metric])),
        ]),
      ),
    );
  }
  return out.join('');
}

/** The gate's decision and each reason behind it. */
export function verdictSection(verdict: GateVerdict): string {
  const { candidate, baseline } = verdict;
  const head =
    `Gate ${verdict.passed ? 'PASSED' : 'FAILED'}: ${verdict.metric} (${verdict.direction} is better), ` +
    `candidate ${candidate.id} ${formatMetric(candidate.value)} vs baseline ${baseline.id} ` +
    `${formatMetric(baseline.value)}` +
    (verdict.required === null ? '' : `, required ${formatMetric(verdict.required)}`) +
    '\n';
  return head + verdict.reasons.map((r) => `  ${r}\n`).join('');
}

function taskLine(report: EvaluationReport): string {
  const parts = [`${report.task}, label column ${report.labelColumn}`];
  if (report.classes) parts.push(`classes ${report.classes.map(String).join(', ')}`);
  if (report.positiveLabel !== undefined) parts.push(`positive label ${String(report.positiveLabel)}`);
  if (report.ranking) {
    const r = report.ranking;
    parts.push(
      `query column ${r.queryColumn}, ${plural(r.queries, 'query')} ` +
        `(${r.queriesWithoutRelevant} without a relevant row), k ${r.k ?? 'whole list'}`,
    );
  }
  return parts.join('; ');
}

function modelHeader(model: { id: string; role: 'candidate' | 'baseline' }): string {
  return model.role === 'baseline' ? `${model.id} (baseline)` : model.id;
}

function formatSigned(value: number): string {
  const text = formatMetric(value);
  return value > 0 ? `+${text}` : text;
}

function formatPercent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

// ---------------------------------------------------------------------------------------------
// Policies and promotion
// ---------------------------------------------------------------------------------------------

/** A model's evaluation policy for people. */
export function policySummary(name: string, policy: EvaluationPolicy): string {
  const { gate } = policy;
  const fields: [string, string][] = [
    ['Dataset', policy.dataset.uri],
    [
      'Task',
      `${policy.task}, label column ${policy.labelColumn}` +
        (policy.queryColumn === undefined ? '' : `, query column ${policy.queryColumn}`) +
        (policy.k === undefined ? '' : `, k ${policy.k}`),
    ],
    ['Baseline', formatModelRef(policy.baseline)],
    ['Gate', gateLine(gate)],
  ];
  if (gate.slices) {
    const s = gate.slices;
    fields.push([
      'Gate slices',
      `${s.column}: slices of at least ${s.minRows} rows may be at most ${s.maxDegradation} worse`,
    ]);
  }
  if (policy.positiveLabel !== undefined) fields.push(['Positive label', String(policy.positiveLabel)]);
  if (policy.slices && policy.slices.length > 0) {
    fields.push(['Slices', policy.slices.map(sliceLabel).join(', ')]);
  }
  if (policy.minSliceRows !== undefined) fields.push(['Min slice rows', String(policy.minSliceRows)]);
  if (policy.bootstrap) {
    const b = policy.bootstrap;
    fields.push([
      'Bootstrap',
      `${b.headline}, ${b.resamples} resamples, ${formatPercent(b.confidence)} CI, seed ${b.seed}`,
    ]);
  }
  if (policy.protectedAliases && policy.protectedAliases.length > 0) {
    fields.push([
      'Protected aliases',
      `${policy.protectedAliases.join(', ')} (only a gated promotion moves them)`,
    ]);
  }
  return `Evaluation policy of ${name}\n${formatFields(fields)}`;
}

/** `accuracy higher is better, at least 0.8, by at least 0.02 over the baseline`. */
export function gateLine(gate: GateSpec): string {
  const parts = [`${gate.metric} (${gate.direction} is better)`];
  if (gate.threshold !== undefined) {
    parts.push(`${gate.direction === 'higher' ? 'at least' : 'at most'} ${gate.threshold}`);
  }
  const margin = gate.margin;
  parts.push(
    margin === undefined || margin.value === 0
      ? 'no worse than the baseline'
      : margin.kind === 'relative'
        ? `better than the baseline by ${formatPercent(margin.value)} of it`
        : `better than the baseline by ${margin.value}`,
  );
  return parts.join(', ');
}

/** What a promotion did: the alias move, the verdict and the evaluation behind it. */
export function promotionSummary(response: PromoteResponse): string {
  const { event, evaluation } = response;
  const target = `${event.modelName}@${event.alias ?? ''}`;
  const move =
    event.fromVersion === undefined
      ? `Set ${target} to version ${event.toVersion ?? ''}`
      : `Moved ${target} from version ${event.fromVersion} to ${event.toVersion ?? ''}`;
  const lines = [`${move}${response.forced ? ' (FORCED past a failing gate)' : ''}.\n`];
  if (evaluation.verdict) lines.push(verdictSection(evaluation.verdict));
  lines.push(`Evaluation: ${evaluation.id}${evaluation.runId ? ` (run ${evaluation.runId})` : ''}\n`);
  return lines.join('');
}

/** The loud stderr warning of a forced promotion. */
export function forcedWarning(response: PromoteResponse): string {
  const { event, evaluation } = response;
  const bar = '!'.repeat(72);
  const lines = [
    bar,
    `WARNING: the promotion gate of ${event.modelName} FAILED for version ${event.toVersion ?? ''}.`,
    `${event.modelName}@${event.alias ?? ''} was moved anyway because of --force.`,
    `This override is audited: the alias event (seq ${event.seq}, by ${event.actor}) records the failed`,
    `verdict, and evaluation ${evaluation.id} holds the evidence.`,
    ...(evaluation.verdict?.reasons.filter((r) => r.startsWith('fail')).map((r) => `  ${r}`) ?? []),
    bar,
  ];
  return lines.map((l) => `${l}\n`).join('');
}

/** Why a promotion was refused, from the verdict in the error's details. */
export function refusalSummary(
  name: string,
  version: string,
  alias: string,
  verdict: GateVerdict,
  evaluationId: string | undefined,
): string {
  return (
    `Refused: ${name} version ${version} failed the promotion gate; ${name}@${alias} was not moved.\n` +
    verdictSection(verdict) +
    (evaluationId === undefined ? '' : `Evaluation: ${evaluationId}\n`) +
    'Fix the model, or pass --force (audited) to promote it anyway.\n'
  );
}

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

/** The registered baseline version and what was fitted: the constant, or each rule's output. */
export function baselineSummary(response: CreateBaselineResponse): string {
  const { modelVersion, spec } = response;
  const lines = [
    `Registered ${modelVersion.name} version ${modelVersion.version} from ${modelVersion.source}.\n`,
  ];
  const kind = typeof spec['kind'] === 'string' ? spec['kind'] : 'unknown';
  lines.push(`Baseline: ${kind}${typeof spec['strategy'] === 'string' ? ` (${spec['strategy']})` : ''}\n`);
  if (kind === 'constant') {
    if ('label' in spec) lines.push(`  label: ${compact(spec['label'])}\n`);
    if ('probabilities' in spec) lines.push(`  probabilities: ${compact(spec['probabilities'])}\n`);
    if ('q' in spec) lines.push(`  q: ${compact(spec['q'])}\n`);
    if ('prediction' in spec) lines.push(`  prediction: ${compact(spec['prediction'])}\n`);
  } else if (kind === 'rules') {
    const rules = Array.isArray(spec['rules']) ? (spec['rules'] as unknown[]) : [];
    const output = typeof spec['output'] === 'string' ? spec['output'] : 'prediction';
    lines.push(`  output: ${output} (the first rule that matches wins)\n`);
    lines.push(
      formatTable(
        ['  #', 'WHEN', 'THEN'],
        [
          ...rules.map((rule, i) => {
            const r = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
            return [`  ${i + 1}`, String(r['when'] ?? ''), compact(r['then'])];
          }),
          ['  -', '(default)', compact(spec['default'])],
        ],
      ),
    );
  } else if (kind === 'sql' && typeof spec['query'] === 'string') {
    lines.push(
      ...spec['query']
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}\n`),
    );
  } else if (kind === 'lookup') {
    const entries = Array.isArray(spec['entries']) ? spec['entries'].length : 0;
    lines.push(
      `  target ${compact(spec['target'])}, lag ${compact(spec['lag'])}, key ${compact(spec['key'])}, ` +
        `${plural(entries, 'entry')}, fallback ${compact(spec['fallback'])}\n`,
    );
  }
  return lines.join('');
}

function sliceLabel(slice: SliceSpec): string {
  return slice.buckets ? `${slice.column}:${slice.buckets.join(',')}` : slice.column;
}

function compact(value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v,
  );
}

function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  return `${n} ${word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}
