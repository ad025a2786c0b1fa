/**
 * Creating baselines: fit a constant or rules baseline from labelled data (or take a complete
 * spec), write it as a `runtime: baseline` package into a run's artifacts, and register it like any
 * other model version. Registration loads the package, so a baseline that cannot run is refused.
 */
import { Readable } from 'node:stream';
import { stringify as toYaml } from 'yaml';
import {
  invalidArgument,
  type BaselineFit,
  type ContractField,
  type CreateBaselineRequest,
  type CreateBaselineResponse,
  type FieldType,
  type ModelContract,
} from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { parseBaselineSpec, type BaselineSpec } from '../runtimes/baseline/baseline-spec.js';
import { fitConstantBaseline, type ClassLabel } from '../runtimes/baseline/constant-baseline.js';
import { datasetContract } from '../runtimes/baseline/dataset-contract.js';
import { fitRulesBaseline } from '../runtimes/baseline/fit-rules.js';
import { contractColumnTypes, type JsonValue } from '../runtimes/baseline/rules-baseline.js';
import type { InputRow } from '../runtimes/runtime.js';
import type { RunArtifacts } from '../tracking/run-artifacts.js';
import type { TrackingService } from '../tracking/tracking-service.js';
import { loadDataset, type DatasetSourceDeps, type LoadedDataset } from './dataset-source.js';

/** What creating baselines needs. */
export interface BaselineServiceDeps {
  registry: RegistryService;
  tracking: Pick<TrackingService, 'createRun' | 'updateRun'>;
  runArtifacts: RunArtifacts;
  datasets: DatasetSourceDeps;
  now?: () => number;
}

/** Artifact directory of the package inside its run. */
export const BASELINE_PACKAGE_DIR = 'baseline';
/** The package's entry point. */
export const BASELINE_ENTRY_POINT = 'baseline.json';
/** Version tag naming the baseline kind, so lists show which versions are baselines. */
export const BASELINE_KIND_TAG = 'slipway.baseline_kind';

/** A spec with what it was fitted from, before packaging. */
interface Prepared {
  spec: BaselineSpec;
  contract?: ModelContract;
  fittedFrom?: Record<string, unknown>;
}

/** Baseline creation use case. */
export class BaselineService {
  private readonly now: () => number;

  constructor(private readonly deps: BaselineServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Fits or takes the spec, packages it and registers it as the next version of `request.name`. */
  async create(request: CreateBaselineRequest, actor: string): Promise<CreateBaselineResponse> {
    if ((request.spec === undefined) === (request.fit === undefined)) {
      throw invalidArgument(
        'spec',
        'give exactly one of spec (a complete baseline) and fit (how to fit one)',
      );
    }
    const prepared =
      request.fit === undefined
        ? { spec: parseBaselineSpec(request.spec, 'spec') }
        : await this.fit(request.fit, request.contract);
    const contract = request.contract ?? prepared.contract;
    const run = await this.deps.tracking.createRun({
      experimentId: request.experimentId ?? '0',
      runName: `baseline-${request.name}`.slice(0, 250),
      userId: actor,
    });
    const runId = run.info.runId;
    try {
      await this.writePackage(runId, prepared);
      const modelVersion = await this.deps.registry.registerModel(
        {
          name: request.name,
          source: `runs:/${runId}/${BASELINE_PACKAGE_DIR}`,
          runId,
          ...(request.description === undefined ? {} : { description: request.description }),
          tags: { ...(request.tags ?? {}), [BASELINE_KIND_TAG]: prepared.spec.kind },
          ...(contract === undefined ? {} : { contract }),
        },
        actor,
      );
      await this.deps.tracking.updateRun(runId, { status: 'FINISHED', endTime: this.now() });
      return { modelVersion, spec: { ...prepared.spec } };
    } catch (error) {
      await this.deps.tracking.updateRun(runId, { status: 'FAILED', endTime: this.now() });
      throw error;
    }
  }

  /** Fits the baseline `fit` describes; the input contract is inferred from the file's columns. */
  private async fit(fit: BaselineFit, declared: ModelContract | undefined): Promise<Prepared> {
    const dataset = await loadDataset(this.deps.datasets, fit.dataset, 'fit.dataset');
    requireLabelColumn(dataset, fit.labelColumn);
    const classification = fit.task !== 'regression';
    const outputs = outputFields(fit, dataset);
    const contract =
      declared ??
      (dataset.columns.length === 0 ? undefined : datasetContract(dataset.columns, fit.labelColumn, outputs));
    const spec =
      fit.kind === 'constant' ? fitConstant(fit, dataset.rows) : fitRules(fit, dataset.rows, contract);
    const fittedFrom = {
      ...(dataset.description.uri === undefined ? {} : { uri: dataset.description.uri }),
      digest: dataset.description.digest,
      rows: dataset.description.rows,
      label_column: fit.labelColumn,
      task: classification ? fit.task : 'regression',
    };
    return { spec, ...(contract === undefined ? {} : { contract }), fittedFrom };
  }

  /** Writes slipway.yaml and the spec into the run's artifacts. */
  private async writePackage(runId: string, prepared: Prepared): Promise<void> {
    const manifest = toYaml({
      format_version: 1,
      runtime: 'baseline',
      entry_point: BASELINE_ENTRY_POINT,
      metadata: {
        kind: prepared.spec.kind,
        ...(prepared.fittedFrom === undefined ? {} : { fitted_from: prepared.fittedFrom }),
      },
    });
    const upload = (path: string, text: string): Promise<unknown> =>
      this.deps.runArtifacts.upload(
        runId,
        `${BASELINE_PACKAGE_DIR}/${path}`,
        Readable.from([Buffer.from(text)]),
      );
    await upload(BASELINE_ENTRY_POINT, `${JSON.stringify(prepared.spec, null, 2)}\n`);
    await upload('slipway.yaml', manifest);
  }
}

/** Every row must carry the label; a missing column is the most common mistake, so name it early. */
function requireLabelColumn(dataset: LoadedDataset, label: string): void {
  const missing = dataset.rows.findIndex((row) => !(label in row));
  if (missing >= 0) {
    throw invalidArgument(
      'fit.labelColumn',
      `label column '${label}' is missing (first at rows[${missing}])`,
    );
  }
}

/** Fits a constant baseline: majority with class priors, or a mean, median or quantile. */
function fitConstant(fit: BaselineFit, rows: readonly InputRow[]): BaselineSpec {
  const labels = rows.map((row) => row[fit.labelColumn]);
  if (fit.task !== 'regression') {
    if (fit.strategy !== undefined && fit.strategy !== 'majority') {
      throw invalidArgument(
        'fit.strategy',
        `classification baselines use strategy majority, not ${fit.strategy}`,
      );
    }
    return fitConstantBaseline({ task: 'classification', labels: labels.map(classLabel) });
  }
  const strategy = fit.strategy ?? 'mean';
  if (strategy === 'majority')
    throw invalidArgument('fit.strategy', 'regression baselines use mean, median or quantile');
  return fitConstantBaseline({
    task: 'regression',
    strategy,
    labels: labels.map((v, i) => finiteLabel(v, i, fit.labelColumn)),
    ...(fit.quantile === undefined ? {} : { q: fit.quantile }),
  });
}

/** Fits a rules baseline: the user's conditions, outputs fitted where `then` is omitted. */
function fitRules(
  fit: BaselineFit,
  rows: readonly InputRow[],
  contract: ModelContract | undefined,
): BaselineSpec {
  if (fit.rules === undefined || fit.rules.length === 0) {
    throw invalidArgument('fit.rules', 'a rules baseline needs at least one rule');
  }
  return fitRulesBaseline({
    task: fit.task === 'regression' ? 'regression' : 'classification',
    // `then` arrives in a JSON request body, so it is a JSON value by construction.
    rules: fit.rules.map((r) => ({
      when: r.when,
      ...(r.then === undefined ? {} : { then: r.then as JsonValue }),
    })),
    rows,
    labelColumn: fit.labelColumn,
    ...(contract === undefined ? {} : { columnTypes: contractColumnTypes(contract) }),
  });
}

/** Booleans become strings: a constant classifier's labels are strings or numbers. */
function classLabel(value: unknown): ClassLabel {
  if (typeof value === 'boolean') return String(value);
  return value as ClassLabel;
}

function finiteLabel(value: unknown, row: number, column: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(
      `fit.dataset.rows[${row}].${column}`,
      `rows[${row}].${column} is ${String(value)}, not a finite number`,
    );
  }
  return value;
}

/** The outputs a fitted baseline returns, typed like the label column. */
function outputFields(fit: BaselineFit, dataset: LoadedDataset): ContractField[] {
  if (fit.task === 'regression') return [{ name: 'prediction', type: 'float64', nullable: false }];
  const labelType: FieldType = dataset.columns.find((c) => c.name === fit.labelColumn)?.type ?? 'string';
  return [{ name: 'label', type: labelType === 'boolean' ? 'string' : labelType, nullable: false }];
}
