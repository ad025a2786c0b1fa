/**
 * `slipway eval`: uploads a labelled dataset into a new run (of `slipway-evaluations` unless told
 * otherwise), evaluates candidates and baselines on it server-side, and prints the comparison. With
 * a gate, a failing verdict exits 1 so the command can gate CI. `--detach` queues the evaluation
 * as a job instead and prints its id (`slipway jobs show` follows it).
 */
import { CommanderError, Option, type Command } from 'commander';
import {
  EVALUATION_TASKS,
  THRESHOLD_OBJECTIVES,
  type CreateEvaluationRequest,
  type EvaluatedModelRef,
  type EvaluationTask,
  type SliceSpec,
  type ThresholdObjective,
} from '@slipway/contracts';
import {
  DEFAULT_SEED,
  EVALUATION_EXPERIMENT,
  bootstrapSpecOf,
  collectSlice,
  defaultHeadline,
  evaluationSummary,
  gateSpecOf,
  parseConfidence,
  parseCount,
  parseFiniteNumber,
  parseModelRef,
  parseNonNegativeNumber,
  addScoringOptions,
  scoringFieldsOf,
  type ScoringFlags,
} from './evaluation-output.js';
import { addModelsOptions } from './models-command.js';
import type { CliDeps } from './program.js';
import { clientFor, collect, parsePositiveInt, writeJson, writerOf, type ClientFlags } from './output.js';
import { checkDatasetFile, isStoredDatasetUri, uploadDatasetFile, withUploadRun } from './uploads.js';

interface EvalFlags extends ClientFlags, ScoringFlags {
  user?: string;
  dataset: string;
  task: EvaluationTask;
  label: string;
  model: string[];
  baseline: string[];
  slice: SliceSpec[];
  bootstrap?: number;
  headline?: string;
  confidence: number;
  seed: number;
  gateMetric?: string;
  direction?: 'higher' | 'lower';
  threshold?: number;
  margin?: number;
  relativeMargin?: boolean;
  decisionThreshold?: number;
  optimizeThresholdFor?: ThresholdObjective;
  calibrationBins?: number;
  experiment: string;
  detach?: boolean;
}

/** Registers `slipway eval`. */
export function registerEvalCommand(program: Command, deps: CliDeps): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate registered models (candidates and baselines) on a labelled dataset and compare them; ' +
        'with --gate-metric, exits 1 when the candidate fails the gate.',
    )
    .requiredOption('--dataset <file>', 'labelled .csv, .jsonl or .parquet file (or a runs:/ URI)')
    .addOption(
      new Option('--task <task>', 'what the label is').choices([...EVALUATION_TASKS]).makeOptionMandatory(),
    )
    .requiredOption('--label <column>', 'the label column')
    .option('--model <ref>', 'candidate NAME/VERSION or NAME@ALIAS (repeatable)', collect, [])
    .option('--baseline <ref>', 'baseline NAME/VERSION or NAME@ALIAS (repeatable)', collect, [])
    .option(
      '--slice <column[:edges]>',
      'slice by each value, or by numeric buckets: amount:10,100 (repeatable)',
      collectSlice,
      [],
    )
    .option(
      '--min-slice-rows <n>',
      'slices with fewer rows are flagged as too small (default 30)',
      parseCount,
    )
    .option(
      '--bootstrap <n>',
      'bootstrap resamples for confidence intervals of the headline metric',
      parsePositiveInt,
    )
    .option(
      '--headline <metric>',
      'metric that gets intervals (default: the gate metric, else accuracy / rmse / ndcg)',
    )
    .option('--confidence <level>', 'confidence level of the intervals', parseConfidence, 0.95)
    .option('--seed <n>', 'bootstrap seed', parseFiniteNumber, DEFAULT_SEED)
    .option('--gate-metric <metric>', 'judge a promotion gate on this metric')
    .addOption(
      new Option(
        '--direction <dir>',
        'whether higher or lower values are better (inferred for known metrics)',
      ).choices(['higher', 'lower']),
    )
    .option('--threshold <x>', 'gate: the value the candidate must reach', parseFiniteNumber)
    .option(
      '--margin <x>',
      'gate: how much better than the baseline the candidate must be',
      parseNonNegativeNumber,
    )
    .option('--relative-margin', 'gate: --margin is a share of the baseline (0.02 = 2%)')
    .option(
      '--decision-threshold <p>',
      'binary: score at or above which the positive class is predicted, for the threshold metrics (default 0.5)',
      parseFiniteNumber,
    )
    .addOption(
      new Option(
        '--optimize-threshold-for <metric>',
        'binary: metric the best threshold maximizes (default f1)',
      ).choices([...THRESHOLD_OBJECTIVES]),
    )
    .option('--calibration-bins <n>', 'binary: bins of the calibration curve (default 10)', parsePositiveInt)
    .option(
      '--experiment <id|name>',
      'experiment of the evaluation run (created when missing)',
      EVALUATION_EXPERIMENT,
    )
    .option(
      '--detach',
      'queue the evaluation as a job (it runs on the job runner), print the job id and return',
    );
  addModelsOptions(addScoringOptions(command), deps).action(async (flags: EvalFlags) => {
    if (flags.model.length === 0 && flags.baseline.length === 0) {
      command.error("error: name at least one model with '--model <ref>' or '--baseline <ref>'");
    }
    const gateOnly = ['direction', 'threshold', 'margin', 'relativeMargin'] as const;
    if (flags.gateMetric === undefined && gateOnly.some((k) => flags[k] !== undefined)) {
      command.error('error: --direction, --threshold, --margin and --relative-margin need --gate-metric');
    }
    const request = evaluationRequestOf(flags);
    const client = clientFor(flags);
    const dataset = flags.dataset;
    const stored = isStoredDatasetUri(dataset);
    if (!stored) await checkDatasetFile(dataset, 'dataset');
    const write = writerOf(deps);
    const upload = { experiment: flags.experiment, createExperiment: true, source: 'slipway eval' };
    if (flags.detach) {
      const job = await withUploadRun(client, upload, async ({ runId }) => {
        const uri = stored ? dataset : await uploadDatasetFile(client, runId, dataset);
        return client.jobs.submitEvaluation({ ...request, dataset: { uri }, runId });
      });
      if (flags.json) writeJson(write, job);
      else write(`${job.id}\n`);
      return;
    }
    const evaluation = await withUploadRun(client, upload, async ({ runId }) => {
      const uri = stored ? dataset : await uploadDatasetFile(client, runId, dataset);
      return client.evaluations.create({ ...request, dataset: { uri }, runId });
    });
    if (flags.json) writeJson(write, { evaluation });
    else write(evaluationSummary(evaluation));
    if (evaluation.verdict && !evaluation.verdict.passed) {
      // Thrown rather than process.exitCode so runCli reports it like every other failure.
      throw new CommanderError(1, 'slipway.gateFailed', 'The candidate failed the gate.');
    }
  });
}

/** The request of the flags, without its dataset and run (known once the dataset is uploaded). */
function evaluationRequestOf(flags: EvalFlags): Omit<CreateEvaluationRequest, 'dataset'> {
  const models: EvaluatedModelRef[] = [
    ...flags.model.map((m) => ({ ...parseModelRef(m, 'model'), role: 'candidate' as const })),
    ...flags.baseline.map((m) => ({ ...parseModelRef(m, 'baseline'), role: 'baseline' as const })),
  ];
  const gate =
    flags.gateMetric === undefined
      ? undefined
      : gateSpecOf({
          metric: flags.gateMetric,
          direction: flags.direction,
          threshold: flags.threshold,
          margin: flags.margin,
          relativeMargin: flags.relativeMargin,
        });
  const bootstrap = bootstrapSpecOf(flags, gate?.metric ?? defaultHeadline(flags.task));
  const request: Omit<CreateEvaluationRequest, 'dataset'> = {
    task: flags.task,
    labelColumn: flags.label,
    models,
  };
  if (flags.slice.length > 0) request.slices = flags.slice;
  Object.assign(request, scoringFieldsOf(flags));
  if (flags.decisionThreshold !== undefined) request.threshold = flags.decisionThreshold;
  if (flags.optimizeThresholdFor !== undefined) request.optimizeThresholdFor = flags.optimizeThresholdFor;
  if (flags.calibrationBins !== undefined) request.calibrationBins = flags.calibrationBins;
  if (bootstrap) request.bootstrap = bootstrap;
  if (gate) request.gate = gate;
  return request;
}
