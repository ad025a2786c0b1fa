/**
 * `slipway baselines create`: fit a constant or rules baseline from a labelled dataset (uploaded
 * into a new run first), or take a complete spec from a file (e.g. a SQL or lookup baseline), and
 * register it as a new `runtime: baseline` version, so every model has something honest to beat.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  FITTABLE_BASELINE_KINDS,
  FITTABLE_BASELINE_TASKS,
  SlipwayError,
  type BaselineFit,
  type CreateBaselineRequest,
} from '@slipway/contracts';
import { baselineSummary, parseFiniteNumber } from './evaluation-output.js';
import { addModelsOptions } from './models-command.js';
import type { CliDeps } from './program.js';
import { clientFor, collectKeyValue, writeJson, writerOf, type ClientFlags } from './output.js';
import { resolveOrCreateExperimentId, uploadDataset } from './uploads.js';

interface CreateFlags extends ClientFlags {
  user?: string;
  kind?: (typeof FITTABLE_BASELINE_KINDS)[number];
  task?: (typeof FITTABLE_BASELINE_TASKS)[number];
  label?: string;
  dataset?: string;
  strategy?: 'majority' | 'mean' | 'median' | 'quantile';
  quantile?: number;
  rules?: string;
  spec?: string;
  experiment: string;
  description?: string;
  tag: Record<string, string>;
}

/** Options that only make sense when fitting (not with `--spec`). */
const FIT_OPTIONS = ['kind', 'task', 'label', 'dataset', 'strategy', 'quantile', 'rules'] as const;

/** Registers `slipway baselines ...`. */
export function registerBaselinesCommands(program: Command, deps: CliDeps): void {
  const baselines = program
    .command('baselines')
    .description('Create baselines: simple, obviously right models for every candidate to beat.');
  registerCreate(baselines, deps);
}

function registerCreate(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('create')
    .description(
      'Fit a constant or rules baseline from a labelled dataset, or take a complete spec (--spec), ' +
        'and register it as a new version of NAME (the model is created when missing).',
    )
    .argument('<name>', 'registered model to add the baseline version to')
    .addOption(new Option('--kind <kind>', 'baseline to fit').choices([...FITTABLE_BASELINE_KINDS]))
    .addOption(new Option('--task <task>', 'what the label is').choices([...FITTABLE_BASELINE_TASKS]))
    .option('--label <column>', 'the label column')
    .option('--dataset <file>', 'labelled .csv, .jsonl or .parquet file to fit on (or a runs:/ URI)')
    .addOption(
      new Option(
        '--strategy <strategy>',
        'constant: majority (classification default), mean (regression default), median or quantile',
      ).choices(['majority', 'mean', 'median', 'quantile']),
    )
    .option('--quantile <q>', 'with --strategy quantile: q in [0, 1]', parseQuantile)
    .option('--rules <file>', 'rules: .yaml/.json list of { when, then? } (then omitted: fitted)')
    .addOption(
      new Option('--spec <file>', 'a complete baseline spec (.json/.yaml) instead of fitting').conflicts([
        ...FIT_OPTIONS,
      ]),
    )
    .option('--experiment <id|name>', 'experiment of the upload and package runs (created when missing)', '0')
    .option('--description <text>', 'version description')
    .option('--tag <key=value>', 'version tag (repeatable)', collectKeyValue, {});
  addModelsOptions(command, deps).action(async (name: string, flags: CreateFlags) => {
    if (flags.spec === undefined) {
      const missing = (['kind', 'task', 'label', 'dataset'] as const).filter((k) => flags[k] === undefined);
      if (missing.length > 0) {
        command.error(
          `error: without --spec, ${missing.map((m) => `--${m}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`,
        );
      }
      if (flags.rules !== undefined && flags.kind !== 'rules')
        command.error('error: --rules needs --kind rules');
      if (flags.kind === 'rules' && flags.rules === undefined)
        command.error('error: --kind rules needs --rules <file>');
      if (flags.quantile !== undefined && flags.strategy !== 'quantile') {
        command.error('error: --quantile needs --strategy quantile');
      }
    }
    const client = clientFor(flags);
    const experimentId = await resolveOrCreateExperimentId(client, flags.experiment);
    const request: CreateBaselineRequest = { name, experimentId, tags: flags.tag };
    if (flags.description !== undefined) request.description = flags.description;
    if (flags.spec !== undefined) request.spec = await readSpecFile(flags.spec);
    else request.fit = await fitOf(client, flags, experimentId);
    const response = await client.baselines.create(request);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, response);
    write(baselineSummary(response));
  });
}

function parseQuantile(raw: string): number {
  const q = parseFiniteNumber(raw);
  if (q < 0 || q > 1) throw new InvalidArgumentError('Expected a number between 0 and 1.');
  return q;
}

async function fitOf(
  client: ReturnType<typeof clientFor>,
  flags: CreateFlags,
  experimentId: string,
): Promise<BaselineFit> {
  const rules = flags.rules === undefined ? undefined : await readRulesFile(flags.rules);
  const file = flags.dataset ?? '';
  const uri = /^(runs|mlflow-artifacts):\//.test(file)
    ? file
    : (
        await uploadDataset(client, file, {
          experiment: experimentId,
          source: 'slipway baselines create',
          field: 'dataset',
        })
      ).uri;
  const fit: BaselineFit = {
    kind: flags.kind ?? 'constant',
    task: flags.task ?? 'binary',
    labelColumn: flags.label ?? '',
    dataset: { uri },
  };
  if (flags.strategy !== undefined) fit.strategy = flags.strategy;
  if (flags.quantile !== undefined) fit.quantile = flags.quantile;
  if (rules !== undefined) fit.rules = rules;
  return fit;
}

/** A JSON or YAML file (JSON is YAML, so one parser reads both); INVALID_ARGUMENT naming `field`. */
async function readStructuredFile(file: string, field: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError('INVALID_ARGUMENT', `Cannot read ${field} file '${file}': ${reason}`, { field });
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SlipwayError('INVALID_ARGUMENT', `${file} is not valid JSON or YAML: ${reason}`, { field });
  }
}

async function readSpecFile(file: string): Promise<Record<string, unknown>> {
  const json = await readStructuredFile(file, 'spec');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SlipwayError('INVALID_ARGUMENT', `${file} must hold one baseline spec object (with a kind).`, {
      field: 'spec',
    });
  }
  return json as Record<string, unknown>;
}

/** A list of `{ when, then? }`, or an object whose `rules` is one (a rules spec without its default). */
async function readRulesFile(file: string): Promise<NonNullable<BaselineFit['rules']>> {
  const json = await readStructuredFile(file, 'rules');
  const list =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)['rules']
      : json;
  if (!Array.isArray(list)) {
    throw new SlipwayError('INVALID_ARGUMENT', `${file} must hold a list of rules ({ when, then? }).`, {
      field: 'rules',
    });
  }
  return list.map((rule: unknown, i) => {
    const r = typeof rule === 'object' && rule !== null ? (rule as Record<string, unknown>) : {};
    if (typeof r['when'] !== 'string' || r['when'] === '') {
      throw new SlipwayError('INVALID_ARGUMENT', `${file}: rule ${i + 1} needs a 'when' condition (text).`, {
        field: `rules[${i}].when`,
      });
    }
    const extra = Object.keys(r).filter((k) => k !== 'when' && k !== 'then');
    if (extra.length > 0) {
      throw new SlipwayError(
        'INVALID_ARGUMENT',
        `${file}: rule ${i + 1} has unknown keys: ${extra.join(', ')}.`,
        {
          field: `rules[${i}]`,
        },
      );
    }
    return 'then' in r ? { when: r['when'], then: r['then'] } : { when: r['when'] };
  });
}
