/**
 * `slipway demo`'s story, told through the SDK against any Slipway server: track training runs,
 * fit baselines, register an ONNX model trained here, evaluate and promote it through its gate,
 * serve it, replay four weeks of loan applications with outcomes arriving a week late, break two
 * upstream columns, let a drift monitor fire, retrain from the logged traffic and run the
 * challenger in shadow. Everything goes through the public HTTP API; the data is `demo-plan.ts`'s.
 *
 * Time is compressed: the server stamps every prediction with its own clock, so four simulated
 * weeks take a few real seconds. Each request carries its simulated date as a tag, labels follow
 * their predictions by seven simulated days (a few hundred real milliseconds), and the monitor
 * looks at the last real day, which covers everything replayed so far.
 */
import { SlipwayError, type Evaluation, type MonitorRun, type TrafficArm } from '@slipway/contracts';
import { NotFoundError, type LabelSubmission, type SlipwayClient } from '@slipway/sdk';
import { CREDIT_FEATURES, UNIT_BUG_COLUMNS } from './credit-data.js';
import {
  BUG_FROM_DAY,
  LABEL_DELAY_DAYS,
  REPLAY_DAYS,
  demoPlan,
  labelledCsv,
  matrixOf,
  type DemoPlan,
  type ReplayBlock,
} from './demo-plan.js';
import { logisticManifest, logisticOnnx } from './logistic-onnx.js';
import {
  accuracy,
  logLoss,
  trainLogistic,
  type LogisticModel,
  type Matrix,
  type TrainOptions,
} from './logistic-regression.js';

/** What the demo is told. */
export interface DemoOptions {
  /** Prefix of every name the demo creates (experiment, models, endpoint, monitor). */
  name: string;
  seed: number;
  /** Base URL of the web UI (the server's), for the links in the outcome. */
  uiUrl: string;
  /** Receives one line per step as it happens. */
  progress: (line: string) => void;
}

/** One training run of the demo. */
export interface TrainingRunOutcome {
  runId: string;
  runName: string;
  validationLoss: number;
  validationAccuracy: number;
}

/** Realized performance of one arm over a stretch of traffic. */
export interface ArmOutcome {
  /** Served predictions. */
  predictions: number;
  labelled: number;
  /** Share of labelled predictions whose label differs from the prediction; null without labels. */
  errorRate: number | null;
}

/** A monitor run as the demo reports it. */
export interface MonitorRunOutcome {
  runId: string;
  rows: number;
  /** Columns whose drift statistic was flagged. */
  driftedColumns: string[];
}

/** Everything the demo did, with the ids and links to look at it. */
export interface DemoOutcome {
  names: {
    experiment: string;
    model: string;
    constantBaseline: string;
    rulesBaseline: string;
    endpoint: string;
    monitor: string;
  };
  experimentId: string;
  trainingRuns: TrainingRunOutcome[];
  champion: { version: string; runId: string };
  challenger: { version: string; runId: string };
  evaluations: { comparison: string; promotion: string; challenger: string };
  /** Holdout metrics of the model and both baselines. */
  holdout: { model: string; accuracy: number | null; rocAuc: number | null }[];
  gate: {
    passed: boolean;
    metric: string;
    candidate: number | null;
    baseline: number | null;
    required: number | null;
  };
  traffic: { requests: number; predictions: number; labels: number };
  monitorRuns: { beforeBug: MonitorRunOutcome; afterBug: MonitorRunOutcome };
  /** Alerts the monitor's rule fired, with the columns of their evidence. */
  alerts: { id: string; severity: string; columns: string[] }[];
  /** Live error rate per replayed week (the bug starts in week 2). */
  weeklyErrorRate: { week: number; errorRate: number | null; labelled: number }[];
  /** Week 4: the champion (live) and the retrained challenger (shadow) on the same requests. */
  shadowComparison: { live: ArmOutcome; shadow: ArmOutcome };
  links: Record<string, string>;
}

const LABEL = 'defaulted';
const CHAMPION_ALIAS = 'champion';
const TRAINING_CONFIGS: (TrainOptions & { runName: string })[] = [
  { runName: 'logreg-slow', learningRate: 0.1, epochs: 120, l2: 0 },
  { runName: 'logreg-fast', learningRate: 0.5, epochs: 120, l2: 0.001 },
  { runName: 'logreg-strong-l2', learningRate: 1.5, epochs: 120, l2: 0.02 },
];
/** Hand-written credit policy rules; the default is fitted from the rows they leave. */
const POLICY_RULES = [
  { when: 'late_payments >= 3', then: 1 },
  { when: 'utilization > 0.85 and debt_ratio > 0.5', then: 1 },
];
const LOG_WAIT_MS = 30_000;

/** What every step of the story needs. */
interface Story {
  client: SlipwayClient;
  names: DemoOutcome['names'];
  say: (line: string) => void;
}

/** Runs the whole story against `client`'s server. */
export async function runDemo(client: SlipwayClient, options: DemoOptions): Promise<DemoOutcome> {
  const story: Story = { client, names: namesOf(options.name), say: options.progress };
  await ensureFresh(client, story.names.model);
  const plan = demoPlan(options.seed);
  story.say(
    `Generated ${plan.train.length + plan.validation.length + plan.holdout.length} historical loan applications ` +
      `(8 weeks) and ${plan.blocks.reduce((n, b) => n + b.applications.length, 0)} to replay (4 weeks), seed ${plan.seed}.`,
  );
  const trained = await trainAndPromote(story, plan);
  const replay = new Replay(client, story.names.endpoint, plan.blocks);
  const watched = await serveAndWatch(story, replay, trained.champion);
  const shadowed = await retrainAndShadow(story, replay, trained.experimentId, trained.champion);
  const { promotion } = trained;
  return {
    names: story.names,
    experimentId: trained.experimentId,
    trainingRuns: trained.trainingRuns,
    champion: { version: trained.champion, runId: trained.championRunId },
    challenger: { version: shadowed.challenger, runId: shadowed.challengerRunId },
    evaluations: {
      comparison: trained.comparisonId,
      promotion: promotion.id,
      challenger: shadowed.evaluationId,
    },
    holdout: trained.holdout,
    gate: {
      passed: promotion.verdict.passed,
      metric: promotion.verdict.metric,
      candidate: promotion.verdict.candidate.value,
      baseline: promotion.verdict.baseline.value,
      required: promotion.verdict.required,
    },
    traffic: replay.totals(),
    monitorRuns: watched.monitorRuns,
    alerts: watched.alerts,
    weeklyErrorRate: await weeklyErrorRates(client, replay),
    shadowComparison: shadowed.comparison,
    links: linksOf(options.uiUrl, story.names, {
      experimentId: trained.experimentId,
      championRunId: trained.championRunId,
      comparison: trained.comparisonId,
      promotion: promotion.id,
      challengerEvaluation: shadowed.evaluationId,
    }),
  };
}

/**
 * Tracking to registry: datasets, three training runs, the best one registered, both baselines,
 * the holdout comparison of all three, and the gated promotion to `champion`.
 */
async function trainAndPromote(
  story: Story,
  plan: DemoPlan,
): Promise<{
  experimentId: string;
  trainingRuns: TrainingRunOutcome[];
  champion: string;
  championRunId: string;
  comparisonId: string;
  holdout: DemoOutcome['holdout'];
  promotion: Evaluation & { verdict: NonNullable<Evaluation['verdict']> };
}> {
  const { client, names, say } = story;
  const experimentId = (await client.experiments.create({ name: names.experiment })).experimentId;
  const data = await uploadDatasets(client, experimentId, plan);
  const training = await trainRuns(client, experimentId, plan, say);
  const best = training.reduce((a, b) => (b.outcome.validationLoss < a.outcome.validationLoss ? b : a));
  const champion = await registerModel(client, names.model, best.outcome.runId, best.model, {
    'slipway.demo.role': 'champion',
  });
  say(`Registered ${names.model} v${champion} (ONNX, from run ${best.outcome.runName}).`);
  await fitBaselines(client, names, experimentId, data.trainUri);
  say(
    `Fitted baselines ${names.constantBaseline} (majority class) and ${names.rulesBaseline} (credit policy rules).`,
  );
  const comparison = await client.evaluations.create({
    task: 'binary',
    labelColumn: LABEL,
    positiveLabel: 1,
    dataset: { uri: data.holdoutUri },
    models: [
      { name: names.model, version: champion },
      { name: names.constantBaseline, version: '1', role: 'baseline' },
      { name: names.rulesBaseline, version: '1', role: 'baseline' },
    ],
    experimentId,
  });
  const holdout = comparison.report.models.map((m) => ({
    model: m.id,
    accuracy: m.metrics['accuracy'] ?? null,
    rocAuc: m.metrics['rocAuc'] ?? null,
  }));
  say(
    `Evaluated on the holdout: ${holdout.map((m) => `${m.model} accuracy ${pct(m.accuracy)}`).join(', ')}.`,
  );
  const promotion = await promoteChampion(client, names, champion, data.holdoutUri);
  const { verdict } = promotion;
  say(
    `Gate ${verdict.passed ? 'passed' : 'failed'}: accuracy ${pct(verdict.candidate.value)} must reach ` +
      `${pct(verdict.required)} (rules baseline ${pct(verdict.baseline.value)} + 2 points); ` +
      `alias ${CHAMPION_ALIAS} -> v${champion}.`,
  );
  return {
    experimentId,
    trainingRuns: training.map((t) => t.outcome),
    champion,
    championRunId: best.outcome.runId,
    comparisonId: comparison.id,
    holdout,
    promotion,
  };
}

/** Fits the majority-class and the policy-rules baselines on the training file. */
async function fitBaselines(
  client: SlipwayClient,
  names: DemoOutcome['names'],
  experimentId: string,
  trainUri: string,
): Promise<void> {
  const dataset = { uri: trainUri };
  await client.baselines.create({
    name: names.constantBaseline,
    fit: { kind: 'constant', task: 'binary', labelColumn: LABEL, dataset },
    experimentId,
  });
  await client.baselines.create({
    name: names.rulesBaseline,
    fit: { kind: 'rules', task: 'binary', labelColumn: LABEL, dataset, rules: POLICY_RULES },
    experimentId,
  });
}

/**
 * Serving and monitoring: the endpoint, weeks 1 and 2 of traffic (the bug from day 8), and the
 * drift monitor run after each week.
 */
async function serveAndWatch(
  story: Story,
  replay: Replay,
  champion: string,
): Promise<Pick<DemoOutcome, 'monitorRuns' | 'alerts'>> {
  const { client, names, say } = story;
  await client.endpoints.create({
    name: names.endpoint,
    model: { name: names.model, alias: CHAMPION_ALIAS },
  });
  say(
    `Serving endpoint ${names.endpoint} (${CHAMPION_ALIAS}); replaying traffic, outcomes arrive ${LABEL_DELAY_DAYS} days late.`,
  );
  await replay.days(1, BUG_FROM_DAY - 1);
  await replay.waitForLog('live');
  await createMonitor(client, names, champion);
  const beforeBug = await runMonitor(client, names.monitor);
  say(
    `Week 1: monitor ${names.monitor} compared ${beforeBug.rows} predictions with v${champion}'s holdout: ${drift(beforeBug)}.`,
  );
  await replay.days(BUG_FROM_DAY, 14);
  await replay.waitForLog('live');
  const afterBug = await runMonitor(client, names.monitor);
  const alerts = (await client.monitors.alerts({ monitor: names.monitor, state: 'firing' })).map((a) => ({
    id: a.id,
    severity: a.severity,
    columns: [...new Set(a.evidence.flatMap((s) => (s.column === undefined ? [] : [s.column])))].sort(),
  }));
  say(
    `Day ${BUG_FROM_DAY}: the bureau feed starts sending ${UNIT_BUG_COLUMNS.join(' and ')} in the wrong units. ` +
      `Week 2: ${drift(afterBug)}; ${alerts.length} critical alert(s) firing.`,
  );
  return { monitorRuns: { beforeBug, afterBug }, alerts };
}

/**
 * Week 3, then the challenger: retrained from the log, evaluated against the champion on recent
 * traffic, run in shadow for week 4, and both arms' realized error rate once the outcomes are in.
 */
async function retrainAndShadow(
  story: Story,
  replay: Replay,
  experimentId: string,
  champion: string,
): Promise<{
  challenger: string;
  challengerRunId: string;
  evaluationId: string;
  comparison: DemoOutcome['shadowComparison'];
}> {
  const { client, names, say } = story;
  await replay.days(15, 21);
  const retrained = await retrainFromLog(client, experimentId, replay, say);
  const challenger = await registerModel(client, names.model, retrained.runId, retrained.model, {
    'slipway.demo.role': 'challenger',
  });
  const evaluation = await client.evaluations.create({
    task: 'binary',
    labelColumn: LABEL,
    positiveLabel: 1,
    dataset: { rows: retrained.evaluationRows },
    models: [
      { name: names.model, version: challenger },
      { name: names.model, version: champion, role: 'baseline' },
    ],
    gate: { metric: 'accuracy', direction: 'higher' },
    experimentId,
  });
  say(
    `Retrained on ${retrained.trainingRows} labelled predictions from the log: ${names.model} v${challenger}; on recent ` +
      `traffic accuracy ${pct(metricOf(evaluation, names.model, challenger))} vs the champion's ` +
      `${pct(metricOf(evaluation, names.model, champion))}.`,
  );
  await client.endpoints.update(names.endpoint, { shadows: [{ name: names.model, version: challenger }] });
  replay.shadowed();
  await replay.days(22, REPLAY_DAYS);
  const from = replay.dayStart(22);
  await replay.sendRemainingLabels();
  await replay.waitForLog('live');
  await replay.waitForLog('shadow', from);
  // Up to now, not to the last response: a shadow runs after the response it mirrors, so the last
  // ones are logged with a later timestamp.
  const to = Date.now() + 1;
  const comparison = {
    live: await realized(client, names.endpoint, from, to, 'live'),
    shadow: await realized(client, names.endpoint, from, to, 'shadow'),
  };
  say(
    `Week 4 in shadow: live error rate ${pct(comparison.live.errorRate)}, challenger ` +
      `${pct(comparison.shadow.errorRate)} on the same ${comparison.live.labelled} labelled applications.`,
  );
  return { challenger, challengerRunId: retrained.runId, evaluationId: evaluation.id, comparison };
}

/** The live arm's realized error rate over each replayed week. */
async function weeklyErrorRates(
  client: SlipwayClient,
  replay: Replay,
): Promise<DemoOutcome['weeklyErrorRate']> {
  const weeks = [];
  for (let week = 1; week <= REPLAY_DAYS / 7; week++) {
    const from = replay.dayStart(week * 7 - 6);
    const stretch = await realized(client, replay.endpoint, from, replay.dayEnd(week * 7), 'live');
    weeks.push({ week, errorRate: stretch.errorRate, labelled: stretch.labelled });
  }
  return weeks;
}

/** The UI pages that show each step. */
function linksOf(
  uiUrl: string,
  names: DemoOutcome['names'],
  ids: {
    experimentId: string;
    championRunId: string;
    comparison: string;
    promotion: string;
    challengerEvaluation: string;
  },
): Record<string, string> {
  const ui = uiUrl.replace(/\/$/, '');
  const endpoint = `${ui}/endpoints/${encodeURIComponent(names.endpoint)}`;
  return {
    experiment: `${ui}/experiments/${ids.experimentId}`,
    championRun: `${ui}/runs/${ids.championRunId}`,
    model: `${ui}/models/${encodeURIComponent(names.model)}`,
    comparison: `${ui}/evaluations/${ids.comparison}`,
    promotion: `${ui}/evaluations/${ids.promotion}`,
    challengerEvaluation: `${ui}/evaluations/${ids.challengerEvaluation}`,
    endpoint,
    monitoring: `${endpoint}/monitoring`,
  };
}

/** The names the demo creates under a prefix. */
function namesOf(prefix: string): DemoOutcome['names'] {
  return {
    experiment: prefix,
    model: prefix,
    constantBaseline: `${prefix}-constant`,
    rulesBaseline: `${prefix}-rules`,
    endpoint: prefix,
    monitor: `${prefix}-drift`,
  };
}

/** Refuses to run over an earlier demo's objects: every step assumes it creates what it names. */
async function ensureFresh(client: SlipwayClient, model: string): Promise<void> {
  try {
    await client.models.get(model);
  } catch (err) {
    if (err instanceof NotFoundError) return;
    throw err;
  }
  throw new SlipwayError(
    'ALREADY_EXISTS',
    `Registered model '${model}' already exists on this server: run the demo with another --name.`,
    { field: 'name' },
  );
}

/** Uploads the training and holdout sets as artifacts of a `datasets` run; returns their URIs. */
async function uploadDatasets(
  client: SlipwayClient,
  experimentId: string,
  plan: DemoPlan,
): Promise<{ trainUri: string; holdoutUri: string }> {
  const run = await client.runs.create({ experimentId, runName: 'datasets' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'data/train.csv', labelledCsv(plan.train));
  await client.artifacts.upload(runId, 'data/holdout.csv', labelledCsv(plan.holdout));
  await client.runs.logBatch(runId, {
    params: {
      seed: String(plan.seed),
      train_rows: String(plan.train.length),
      holdout_rows: String(plan.holdout.length),
    },
  });
  await client.runs.update(runId, { status: 'FINISHED', endTime: Date.now() });
  return { trainUri: `runs:/${runId}/data/train.csv`, holdoutUri: `runs:/${runId}/data/holdout.csv` };
}

/** Trains one model per configuration, each in its own run with loss curves per epoch. */
async function trainRuns(
  client: SlipwayClient,
  experimentId: string,
  plan: DemoPlan,
  say: (line: string) => void,
): Promise<{ outcome: TrainingRunOutcome; model: LogisticModel }[]> {
  const train = matrixOf(plan.train);
  const validation = matrixOf(plan.validation);
  const results = [];
  for (const config of TRAINING_CONFIGS) {
    const { runName, ...settings } = config;
    const trained = await trackedTraining(client, experimentId, runName, train, validation, settings);
    results.push(trained);
    say(
      `Run ${runName}: validation log loss ${trained.outcome.validationLoss.toFixed(4)}, accuracy ` +
        `${pct(trained.outcome.validationAccuracy)}.`,
    );
  }
  return results;
}

/** One training run: params, a loss curve per epoch, final metrics, and the ONNX package as artifacts. */
async function trackedTraining(
  client: SlipwayClient,
  experimentId: string,
  runName: string,
  train: Matrix,
  validation: Matrix,
  settings: TrainOptions,
): Promise<{ outcome: TrainingRunOutcome; model: LogisticModel }> {
  const logger = await client.startRun({ experimentId, runName });
  logger.logParams({
    model: 'logistic_regression',
    features: CREDIT_FEATURES.join(','),
    learning_rate: settings.learningRate,
    epochs: settings.epochs,
    l2: settings.l2,
    train_rows: train.x.length,
  });
  const model = trainLogistic(train, validation, settings, ({ epoch, trainLoss, validationLoss }) =>
    logger.logMetrics({ train_loss: trainLoss, validation_loss: validationLoss }, { step: epoch }),
  );
  const validationLoss = logLoss(model, validation);
  const validationAccuracy = accuracy(model, validation);
  logger.logMetrics({ validation_accuracy: validationAccuracy, final_validation_loss: validationLoss });
  await logger.flush();
  await client.artifacts.upload(logger.runId, 'model/slipway.yaml', logisticManifest(CREDIT_FEATURES));
  await client.artifacts.upload(logger.runId, 'model/model.onnx', logisticOnnx(model));
  await logger.end();
  return { outcome: { runId: logger.runId, runName, validationLoss, validationAccuracy }, model };
}

/** Registers the ONNX package of `runId` as the next version of `name`; returns the version. */
async function registerModel(
  client: SlipwayClient,
  name: string,
  runId: string,
  model: LogisticModel,
  tags: Record<string, string>,
): Promise<string> {
  const version = await client.models.register({
    name,
    source: `runs:/${runId}/model`,
    runId,
    tags,
    description: `Logistic regression over ${model.weights.length} features, trained by the Slipway demo.`,
  });
  return version.version;
}

/** Sets the model's evaluation policy (beat the rules baseline by 2 points) and promotes through it. */
async function promoteChampion(
  client: SlipwayClient,
  names: DemoOutcome['names'],
  version: string,
  holdoutUri: string,
): Promise<Evaluation & { verdict: NonNullable<Evaluation['verdict']> }> {
  await client.models.setEvaluationPolicy(names.model, {
    task: 'binary',
    labelColumn: LABEL,
    positiveLabel: 1,
    dataset: { uri: holdoutUri },
    baseline: { name: names.rulesBaseline, version: '1' },
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.02 } },
    protectedAliases: [CHAMPION_ALIAS],
  });
  const promoted = await client.models.promote(names.model, version, {
    alias: CHAMPION_ALIAS,
    reason: 'demo: beats the credit policy rules on the holdout',
  });
  const { evaluation } = promoted;
  if (evaluation.verdict === undefined) throw new Error('a gated promotion returned no verdict');
  return { ...evaluation, verdict: evaluation.verdict };
}

/** A drift monitor over the last real day (the whole compressed replay) with a critical alert rule. */
async function createMonitor(
  client: SlipwayClient,
  names: DemoOutcome['names'],
  version: string,
): Promise<void> {
  await client.monitors.create({
    name: names.monitor,
    endpoint: names.endpoint,
    reference: { model: names.model, version },
    checks: { drift: {} },
    window: { kind: 'rolling', durationMs: 24 * 3_600_000 },
  });
  await client.monitors.addRule(names.monitor, {
    name: 'input-drift',
    severity: 'critical',
    match: { check: 'drift' },
    channels: [{ kind: 'log' }],
  });
}

/** Runs the monitor now and names the columns whose drift was flagged. */
async function runMonitor(client: SlipwayClient, monitor: string): Promise<MonitorRunOutcome> {
  const run: MonitorRun = await client.monitors.run(monitor);
  if (run.state !== 'succeeded')
    throw new Error(`monitor run ${run.id} ${run.state}: ${run.error?.message ?? ''}`);
  const drifted = run.statistics.filter((s) => s.check === 'drift' && s.flagged && s.column !== undefined);
  return {
    runId: run.id,
    rows: run.rows ?? 0,
    driftedColumns: drifted.map((s) => s.column as string).sort(),
  };
}

/**
 * Retrains on what the log knows since the bug: the live predictions of days 8-14 whose outcomes
 * have arrived, inputs as the endpoint received them. The older 80% train, the newest 20% judge.
 */
async function retrainFromLog(
  client: SlipwayClient,
  experimentId: string,
  replay: Replay,
  say: (line: string) => void,
): Promise<{
  runId: string;
  model: LogisticModel;
  trainingRows: number;
  evaluationRows: Record<string, unknown>[];
}> {
  await replay.waitForLog('live');
  const rows: Record<string, unknown>[] = [];
  for await (const p of client.predictions.iterate(replay.endpoint, {
    from: replay.dayStart(BUG_FROM_DAY),
    to: replay.dayStart(15),
    arm: 'live',
    labelled: true,
    status: 'ok',
  })) {
    rows.push({ ...p.input, [LABEL]: p.label?.value, id: p.entityId ?? '' });
  }
  // The log answers newest first (one request's rows in id order); application ids give time order.
  rows.sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
  for (const row of rows) delete row['id'];
  const cut = Math.floor(rows.length * 0.8);
  const matrix = (part: Record<string, unknown>[]): Matrix => ({
    x: part.map((r) => CREDIT_FEATURES.map((f) => Number(r[f]))),
    y: part.map((r) => Number(r[LABEL])),
  });
  const trained = await trackedTraining(
    client,
    experimentId,
    'logreg-retrained-on-traffic',
    matrix(rows.slice(0, cut)),
    matrix(rows.slice(cut)),
    { learningRate: 0.5, epochs: 120, l2: 0.001 },
  );
  say(`Run logreg-retrained-on-traffic: validation log loss ${trained.outcome.validationLoss.toFixed(4)}.`);
  return {
    runId: trained.outcome.runId,
    model: trained.model,
    trainingRows: cut,
    evaluationRows: rows.slice(cut),
  };
}

/** Realized performance of one arm between two instants, from the log's aggregates. */
async function realized(
  client: SlipwayClient,
  endpoint: string,
  from: number,
  to: number,
  arm: TrafficArm,
): Promise<ArmOutcome> {
  const buckets = await client.predictions.aggregate(endpoint, {
    from,
    to,
    arm,
    bucket: '1d',
    predictionField: 'label',
  });
  let predictions = 0;
  let labelled = 0;
  let errors = 0;
  for (const b of buckets) {
    predictions += b.count;
    labelled += b.labelled;
    // For a 0/1 label, the mean absolute error is the share of wrong predictions.
    errors += (b.mae ?? 0) * b.labelled;
  }
  return { predictions, labelled, errorRate: labelled === 0 ? null : errors / labelled };
}

/**
 * The replay: sends each day's blocks as predict requests (tagged with their simulated date),
 * keeps the prediction id of every application, and sends each day's outcomes seven days later.
 */
class Replay {
  private readonly predictionIds = new Map<string, string>();
  private readonly started = new Map<number, number>();
  private readonly ended = new Map<number, number>();
  private labelledThroughDay = 0;
  private requests = 0;
  private labels = 0;
  private sentLive = 0;
  private sentShadowed = 0;
  private shadowing = false;

  constructor(
    private readonly client: SlipwayClient,
    readonly endpoint: string,
    private readonly blocks: readonly ReplayBlock[],
  ) {}

  /** Replays days `first`..`last` (inclusive), labelling each day's predictions a week later. */
  async days(first: number, last: number): Promise<void> {
    for (let day = first; day <= last; day++) {
      this.started.set(day, Date.now());
      for (const block of this.blocks.filter((b) => b.day === day)) await this.send(block);
      this.ended.set(day, Date.now() + 1);
      await this.labelThrough(day - LABEL_DELAY_DAYS);
    }
  }

  /** From now on every request is also answered by the endpoint's shadow. */
  shadowed(): void {
    this.shadowing = true;
  }

  /** Sends the outcomes not sent yet: the last week's, as if a week had passed after the replay. */
  async sendRemainingLabels(): Promise<void> {
    await this.labelThrough(REPLAY_DAYS);
  }

  /** When the replay of `day` began (server-clock ms, up to clock skew). */
  dayStart(day: number): number {
    const at = this.started.get(day);
    if (at === undefined) throw new Error(`day ${day} was not replayed yet`);
    return at;
  }

  /** When the replay of `day` ended. */
  dayEnd(day: number): number {
    const at = this.ended.get(day);
    if (at === undefined) throw new Error(`day ${day} was not replayed yet`);
    return at;
  }

  /** Requests, predictions and labels sent so far. */
  totals(): DemoOutcome['traffic'] {
    return { requests: this.requests, predictions: this.sentLive, labels: this.labels };
  }

  /**
   * Waits until the log holds every prediction sent so far on `arm` (the log writes in the
   * background, up to a second behind; shadows run after the response).
   */
  async waitForLog(arm: 'live' | 'shadow', from = this.dayStart(1)): Promise<void> {
    const expected = arm === 'live' ? this.sentLive : this.sentShadowed;
    const deadline = Date.now() + LOG_WAIT_MS;
    for (;;) {
      const { predictions } = await realized(this.client, this.endpoint, from, Date.now() + 1, arm);
      if (predictions >= expected) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the prediction log of ${this.endpoint} holds ${predictions} ${arm} predictions, expected ${expected}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async send(block: ReplayBlock): Promise<void> {
    const response = await this.client.endpoints.predict(this.endpoint, block.rows, {
      entityIds: block.applications.map((a) => a.id),
      tags: { simulated_date: block.date, week: String(Math.ceil(block.day / 7)) },
    });
    // Prediction ids come back in row order.
    block.applications.forEach((application, i) => {
      const id = response.prediction_ids[i];
      if (id !== undefined) this.predictionIds.set(application.id, id);
    });
    this.requests++;
    this.sentLive += block.rows.length;
    if (this.shadowing) this.sentShadowed += block.rows.length;
  }

  private async labelThrough(day: number): Promise<void> {
    const labels: LabelSubmission[] = [];
    for (const block of this.blocks) {
      if (block.day <= this.labelledThroughDay || block.day > day) continue;
      for (const application of block.applications) {
        const predictionId = this.predictionIds.get(application.id);
        if (predictionId !== undefined) labels.push({ predictionId, label: application.defaulted });
      }
    }
    this.labelledThroughDay = Math.max(this.labelledThroughDay, day);
    if (labels.length === 0) return;
    await this.client.predictions.submitLabels(this.endpoint, labels);
    this.labels += labels.length;
  }
}

function metricOf(evaluation: Evaluation, model: string, version: string): number | null {
  const report = evaluation.report.models.find((m) => m.id === `${model}/${version}`);
  return report?.metrics['accuracy'] ?? null;
}

/** A share as a percentage with one decimal, or `n/a`. */
export function pct(share: number | null | undefined): string {
  return share === null || share === undefined ? 'n/a' : `${(share * 100).toFixed(1)}%`;
}

function drift(run: MonitorRunOutcome): string {
  const columns = run.driftedColumns;
  return columns.length === 0 ? 'no drift' : `drift on ${columns.join(' and ')}`;
}
