/**
 * `slipway models gate set|show|delete` (a model's evaluation policy: held-out data, baseline and
 * gate) and `slipway models promote` (evaluate a version against the policy and move the alias only
 * when the gate passes). A refused promotion prints the verdict and exits 1; `--force` moves the alias
 * anyway, warns loudly on stderr, and the registry history records the failed verdict.
 */
import { CommanderError, Option, type Command } from 'commander';
import {
  EVALUATION_TASKS,
  type EvaluationPolicy,
  type EvaluationTask,
  type SliceSpec,
} from '@slipway/contracts';
import { FailedPreconditionError, gateVerdictOf } from '@slipway/sdk';
import {
  DEFAULT_SEED,
  EVALUATION_EXPERIMENT,
  bootstrapSpecOf,
  collectSlice,
  forcedWarning,
  gateSpecOf,
  parseConfidence,
  parseCount,
  parseFiniteNumber,
  parseModelRef,
  parseNonNegativeNumber,
  policySummary,
  promotionSummary,
  refusalSummary,
  withSliceColumn,
  addScoringOptions,
  scoringFieldsOf,
  type ScoringFlags,
} from './evaluation-output.js';
import type { CliDeps } from './program.js';
import { clientFor, collect, parsePositiveInt, writeJson, writerOf, type ClientFlags } from './output.js';
import { datasetUriOf } from './uploads.js';

/** Adds `--url`, `--json` and `--user` (injected by models-command so the two files do not import each other). */
export type AddOptions = (command: Command, deps: CliDeps) => Command;

interface GateCommandFlags extends ClientFlags {
  user?: string;
}

interface GateSetFlags extends GateCommandFlags, ScoringFlags {
  dataset: string;
  task: EvaluationTask;
  label: string;
  baseline: string;
  metric: string;
  direction?: 'higher' | 'lower';
  threshold?: number;
  margin?: number;
  relativeMargin?: boolean;
  sliceColumn?: string;
  sliceMinRows?: number;
  sliceMaxDegradation?: number;
  slice: SliceSpec[];
  bootstrap?: number;
  headline?: string;
  confidence: number;
  seed: number;
  experiment: string;
  protect: string[];
}

interface PromoteFlags extends GateCommandFlags {
  alias: string;
  force?: boolean;
  reason?: string;
}

/** Registers `slipway models gate ...` and `slipway models promote`. */
export function registerModelsGateCommands(models: Command, deps: CliDeps, addOptions: AddOptions): void {
  const gate = models
    .command('gate')
    .description("Set, show or delete a model's evaluation policy: the gate `models promote` enforces.");
  registerGateSet(gate, deps, addOptions);
  registerGateShow(gate, deps, addOptions);
  registerGateDelete(gate, deps, addOptions);
  registerPromote(models, deps, addOptions);
}

function registerGateSet(parent: Command, deps: CliDeps, addOptions: AddOptions): void {
  const command = parent
    .command('set')
    .description(
      'Set (or replace) the evaluation policy of a model: every promotion evaluates the version against ' +
        'the baseline on the held-out dataset, and only a version that passes the gate is promoted.',
    )
    .argument('<name>', 'registered model name')
    .requiredOption('--dataset <file>', 'held-out .csv, .jsonl or .parquet file (uploaded), or a runs:/ URI')
    .addOption(
      new Option('--task <task>', 'what the label is').choices([...EVALUATION_TASKS]).makeOptionMandatory(),
    )
    .requiredOption('--label <column>', 'the label column')
    .requiredOption('--baseline <ref>', 'the baseline to beat: NAME/VERSION or NAME@ALIAS')
    .requiredOption('--metric <metric>', 'the gate metric, e.g. accuracy, rocAuc, rmse')
    .addOption(
      new Option(
        '--direction <dir>',
        'whether higher or lower values are better (inferred for known metrics)',
      ).choices(['higher', 'lower']),
    )
    .option('--threshold <x>', 'the value the candidate must reach', parseFiniteNumber)
    .option('--margin <x>', 'how much better than the baseline the candidate must be', parseNonNegativeNumber)
    .option('--relative-margin', '--margin is a share of the baseline (0.02 = 2%)')
    .option('--slice-column <column>', 'no slice of this column may degrade beyond --slice-max-degradation')
    .option('--slice-min-rows <n>', 'smaller slices cannot fail the gate (default 30)', parseCount)
    .option(
      '--slice-max-degradation <x>',
      'how much worse than the baseline a slice may be (default 0)',
      parseNonNegativeNumber,
    )
    .option(
      '--slice <column[:edges]>',
      'evaluation slices, e.g. country or amount:10,100 (repeatable)',
      collectSlice,
      [],
    )
    .option(
      '--min-slice-rows <n>',
      'slices with fewer rows are flagged as too small (default 30)',
      parseCount,
    )
    .option('--bootstrap <n>', 'bootstrap resamples for confidence intervals', parsePositiveInt)
    .option('--headline <metric>', 'metric that gets intervals (default: the gate metric)')
    .option('--confidence <level>', 'confidence level of the intervals', parseConfidence, 0.95)
    .option('--seed <n>', 'bootstrap seed', parseFiniteNumber, DEFAULT_SEED)
    .option(
      '--experiment <id|name>',
      'experiment of the dataset upload run (created when missing)',
      EVALUATION_EXPERIMENT,
    )
    .option(
      '--protect <alias>',
      'alias only a gated promotion may move, e.g. champion (repeatable)',
      collect,
      [],
    );
  addOptions(addScoringOptions(command), deps).action(async (name: string, flags: GateSetFlags) => {
    const gate = gateSpecOf(flags);
    const bootstrap = bootstrapSpecOf(flags, gate.metric);
    const baseline = parseModelRef(flags.baseline, 'baseline');
    const client = clientFor(flags);
    const uri = await datasetUriOf(client, flags.dataset, {
      experiment: flags.experiment,
      createExperiment: true,
      source: 'slipway models gate set',
      tags: { 'slipway.model': name },
      field: 'dataset',
    });
    const policy: EvaluationPolicy = {
      task: flags.task,
      labelColumn: flags.label,
      dataset: { uri },
      baseline,
      gate,
    };
    const slices = withSliceColumn(flags.slice, gate.slices?.column);
    if (slices.length > 0) policy.slices = slices;
    Object.assign(policy, scoringFieldsOf(flags));
    if (bootstrap) policy.bootstrap = bootstrap;
    if (flags.protect.length > 0) policy.protectedAliases = flags.protect;
    const stored = await client.models.setEvaluationPolicy(name, policy);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { policy: stored });
    write(`Set the evaluation policy of ${name}.\n`);
    write(policySummary(name, stored));
  });
}

function registerGateShow(parent: Command, deps: CliDeps, addOptions: AddOptions): void {
  const command = parent
    .command('show')
    .description("Show a model's evaluation policy.")
    .argument('<name>', 'registered model name');
  addOptions(command, deps).action(async (name: string, flags: GateCommandFlags) => {
    const policy = await clientFor(flags).models.getEvaluationPolicy(name);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { policy });
    write(policySummary(name, policy));
  });
}

function registerGateDelete(parent: Command, deps: CliDeps, addOptions: AddOptions): void {
  const command = parent
    .command('delete')
    .description("Delete a model's evaluation policy (promotion then refuses until one is set).")
    .argument('<name>', 'registered model name');
  addOptions(command, deps).action(async (name: string, flags: GateCommandFlags) => {
    await clientFor(flags).models.deleteEvaluationPolicy(name);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { deleted: true, name });
    write(`Deleted the evaluation policy of ${name}.\n`);
  });
}

function registerPromote(parent: Command, deps: CliDeps, addOptions: AddOptions): void {
  const command = parent
    .command('promote')
    .description(
      "Evaluate a version against the model's evaluation policy and point the alias at it only when the " +
        'gate passes (exit 1 otherwise); --force promotes a failing version anyway, audited.',
    )
    .argument('<name>', 'registered model name')
    .argument('<version>', 'version to promote')
    .requiredOption('--alias <alias>', 'alias to move, e.g. champion')
    .option('--force', 'promote even when the gate fails (recorded as forced in the history)')
    .option('--reason <text>', 'why, recorded in the history');
  addOptions(command, deps).action(async (name: string, version: string, flags: PromoteFlags) => {
    const client = clientFor(flags);
    const write = writerOf(deps);
    const request = {
      alias: flags.alias,
      ...(flags.force ? { force: true } : {}),
      ...(flags.reason === undefined ? {} : { reason: flags.reason }),
    };
    let response;
    try {
      response = await client.models.promote(name, version, request);
    } catch (err) {
      const verdict = gateVerdictOf(err);
      if (verdict === undefined || !(err instanceof FailedPreconditionError)) throw err;
      const evaluationId =
        typeof err.details['evaluationId'] === 'string' ? err.details['evaluationId'] : undefined;
      if (flags.json) writeJson(write, { promoted: false, evaluationId, verdict });
      else write(refusalSummary(name, version, flags.alias, verdict, evaluationId));
      throw new CommanderError(1, 'slipway.promotionRefused', err.message);
    }
    if (response.forced) process.stderr.write(forcedWarning(response));
    if (flags.json) return writeJson(write, response);
    write(promotionSummary(response));
  });
}
