/**
 * `slipway monitors create|run|list|show|delete|profile`, `slipway monitors rules add|list` and
 * `slipway alerts list`, through the SDK. Durations are written `30s`, `15m`, `1h`, `1d`; models
 * `NAME/VERSION` (a monitor compares with one version's reference profile, so aliases are refused).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import {
  ALERT_SEVERITIES,
  ALERT_STATES,
  MONITOR_CHECK_KINDS,
  invalidArgument,
  type Alert,
  type AlertRule,
  type AlertSeverity,
  type AlertState,
  type DriftAutocorrelationMode,
  type Monitor,
  type MonitorCheckKind,
  type MonitorChecks,
  type MonitorRun,
  type MonitorStatistic,
  type MonitorWindow,
} from '@slipway/contracts';
import type { CreateAlertRuleInput, CreateMonitorInput, SlipwayClient } from '@slipway/sdk';
import { parseModelRef } from './evaluation-output.js';
import {
  addClientOptions,
  clientFor,
  formatFields,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writerOf,
  type ClientFlags,
} from './output.js';
import type { CliDeps } from './program.js';

interface CreateFlags extends ClientFlags {
  endpoint: string;
  reference: string;
  drift?: boolean;
  dataQuality?: boolean;
  service?: boolean;
  performance?: string;
  window: string;
  every?: string;
  driftShare?: string;
  driftAutocorrelation?: string;
}

interface RuleFlags extends ClientFlags {
  name: string;
  check: MonitorCheckKind;
  statistic?: string;
  column?: string;
  severity?: AlertSeverity;
  cooldown?: string;
  webhook?: string;
  secret?: string;
}

interface AlertsFlags extends ClientFlags {
  monitor?: string;
  state?: AlertState;
  limit?: number;
}

/** Runs `monitors show` prints. */
const SHOWN_RUNS = 10;
const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Registers `slipway monitors ...` and `slipway alerts ...`. */
export function registerMonitorsCommands(program: Command, deps: CliDeps): void {
  const monitors = program
    .command('monitors')
    .description('Monitors: drift, data quality, performance and service checks over the prediction log.');
  registerCreate(monitors, deps);
  registerRun(monitors, deps);
  registerListShowDelete(monitors, deps);
  registerProfile(monitors, deps);
  registerRules(monitors.command('rules').description("A monitor's alert rules."), deps);
  registerAlerts(program.command('alerts').description('Alerts fired by monitor rules.'), deps);
}

function registerCreate(monitors: Command, deps: CliDeps): void {
  addClientOptions(
    monitors
      .command('create <name>')
      .description('Create a monitor of an endpoint against a model version’s reference profile')
      .requiredOption('--endpoint <name>', 'endpoint (or batch log name) whose predictions are watched')
      .requiredOption('--reference <model/version>', 'model version whose reference profile is compared')
      .option('--drift', 'check per-column and dataset drift')
      .option('--data-quality', 'check missing values, out-of-range values, new categories, row count')
      .option('--service', 'check latency and error rate')
      .option(
        '--performance <field:metric>',
        'compare output FIELD with the labels: FIELD:accuracy or FIELD:mae',
      )
      .option('--window <duration>', 'rolling window each run looks at (30s, 15m, 1h, 1d)', '1h')
      .option('--every <duration>', 'run on this schedule (default: only on demand)')
      .option('--drift-share <x>', 'dataset drift when at least this share of columns drifted (with --drift)')
      .option(
        '--drift-autocorrelation <mode>',
        'adjust (default): count alike neighbouring rows at their effective size; ignore: as independent draws (with --drift)',
      ),
    deps,
  ).action(async (name: string, flags: CreateFlags) => {
    const monitor = await clientFor(flags).monitors.create(monitorRequestOf(name, flags));
    const write = writerOf(deps);
    if (flags.json) writeJson(write, monitor);
    else write(`Created monitor ${monitor.name} (${monitor.id}) of endpoint ${monitor.endpoint}.\n`);
  });
}

/** The `--drift-autocorrelation` mode; INVALID_ARGUMENT naming the flag otherwise. */
function autocorrelationOf(raw: string): DriftAutocorrelationMode {
  if (raw !== 'adjust' && raw !== 'ignore') {
    throw invalidArgument(
      'drift-autocorrelation',
      `--drift-autocorrelation must be adjust or ignore, got '${raw}'.`,
    );
  }
  return raw;
}

/** The API request of `monitors create`; INVALID_ARGUMENT naming the flag for bad values. */
export function monitorRequestOf(name: string, flags: CreateFlags): CreateMonitorInput {
  const every = flags.every === undefined ? undefined : durationMs(flags.every, 'every');
  return {
    name,
    endpoint: flags.endpoint,
    reference: versionRefOf(flags.reference, 'reference'),
    checks: checksOf(flags),
    window: { kind: 'rolling', durationMs: durationMs(flags.window, 'window') },
    ...(every === undefined ? {} : { schedule: { intervalMs: every } }),
  };
}

function checksOf(flags: CreateFlags): MonitorChecks {
  const checks: MonitorChecks = {};
  if (flags.drift) checks.drift = {};
  if (flags.driftShare !== undefined) {
    if (checks.drift === undefined) throw invalidArgument('drift-share', '--drift-share needs --drift.');
    checks.drift.driftShare = shareOf(flags.driftShare, 'drift-share');
  }
  if (flags.driftAutocorrelation !== undefined) {
    if (checks.drift === undefined) {
      throw invalidArgument('drift-autocorrelation', '--drift-autocorrelation needs --drift.');
    }
    checks.drift.autocorrelation = autocorrelationOf(flags.driftAutocorrelation);
  }
  if (flags.dataQuality) checks.dataQuality = {};
  if (flags.service) checks.service = {};
  if (flags.performance !== undefined) checks.performance = performanceOf(flags.performance);
  if (Object.keys(checks).length === 0) {
    throw invalidArgument(
      'checks',
      'Name at least one check: --drift, --data-quality, --service or --performance FIELD:METRIC.',
    );
  }
  return checks;
}

function performanceOf(raw: string): NonNullable<MonitorChecks['performance']> {
  const colon = raw.lastIndexOf(':');
  const metric = raw.slice(colon + 1);
  if (colon <= 0 || (metric !== 'accuracy' && metric !== 'mae')) {
    throw invalidArgument('performance', `--performance must be FIELD:accuracy or FIELD:mae, got '${raw}'.`);
  }
  return { predictionField: raw.slice(0, colon), metric };
}

function shareOf(raw: string, field: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !(value > 0 && value <= 1)) {
    throw invalidArgument(field, `--${field} must be a number in (0, 1], got '${raw}'.`);
  }
  return value;
}

/** `30s`, `15m`, `1h`, `1d` as ms. */
export function durationMs(raw: string, field: string): number {
  const match = DURATION.exec(raw.trim());
  const amount = Number(match?.[1]);
  if (match === null || amount === 0) {
    throw invalidArgument(field, `--${field} must be a duration like 30s, 15m, 1h or 1d, got '${raw}'.`);
  }
  return amount * (UNIT_MS[match[2] ?? 's'] ?? 1000);
}

/** ms as the largest whole unit: `1h`, `90m`, `1500ms`. */
function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function versionRefOf(text: string, field: string): { model: string; version: string } {
  const ref = parseModelRef(text, field);
  if (ref.version === undefined) {
    throw invalidArgument(field, `--${field} must name a version (MODEL/VERSION), got '${text}'.`);
  }
  return { model: ref.name, version: ref.version };
}

function registerRun(monitors: Command, deps: CliDeps): void {
  addClientOptions(
    monitors
      .command('run <name>')
      .description('Run a monitor now; prints the flagged statistics and firing alerts'),
    deps,
  ).action(async (name: string, flags: ClientFlags) => {
    const client = clientFor(flags);
    const run = await client.monitors.run(name);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, run);
    write(runReport(run));
    if (run.state !== 'succeeded') {
      process.exitCode = 1;
      return;
    }
    const firing = await client.monitors.alerts({ monitor: name, state: 'firing' });
    const rules = new Map((await client.monitors.rules(name)).map((r) => [r.id, r.name]));
    for (const alert of firing) {
      write(
        `Alert firing: ${rules.get(alert.ruleId) ?? alert.ruleId} (${alert.severity}) since ${formatTime(alert.firedAt)}, ` +
          `columns ${evidenceColumns(alert)}.\n`,
      );
    }
  });
}

/** The run's outcome: the flagged statistics as a table, then the counts. */
function runReport(run: MonitorRun): string {
  const window = `${formatTime(run.from)} to ${formatTime(run.to)}`;
  if (run.state !== 'succeeded') {
    const why = run.error === undefined ? '' : `: ${run.error.code}: ${run.error.message}`;
    return `Run ${run.id} ${run.state} over ${window}${why}\n`;
  }
  const flagged = run.statistics.filter((s) => s.flagged);
  const table =
    flagged.length === 0
      ? 'No statistic was flagged.\n'
      : formatTable(['CHECK', 'COLUMN', 'STATISTIC', 'VALUE', 'THRESHOLD'], flagged.map(statisticRow));
  return (
    `Run ${run.id} succeeded over ${run.rows ?? 0} rows (${window}).\n` +
    table +
    `${run.statistics.length} statistics, ${flagged.length} flagged.\n`
  );
}

function statisticRow(s: MonitorStatistic): string[] {
  return [
    s.check,
    s.column ?? '-',
    s.name,
    formatNumber(s.value),
    s.threshold === undefined ? '-' : formatNumber(s.threshold),
  ];
}

/** Four significant digits, without trailing zeros. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

function registerListShowDelete(monitors: Command, deps: CliDeps): void {
  addClientOptions(
    monitors
      .command('list')
      .description('List monitors by name')
      .option('--endpoint <name>', 'only of this endpoint'),
    deps,
  ).action(async (flags: ClientFlags & { endpoint?: string }) => {
    const list = await clientFor(flags).monitors.list(
      flags.endpoint === undefined ? {} : { endpoint: flags.endpoint },
    );
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, list);
    write(
      formatTable(
        ['NAME', 'ENDPOINT', 'REFERENCE', 'CHECKS', 'WINDOW', 'SCHEDULE'],
        list.map((m) => [
          m.name,
          m.endpoint,
          referenceOf(m),
          checkNames(m),
          windowOf(m.window),
          scheduleOf(m),
        ]),
      ),
    );
  });
  addClientOptions(
    monitors.command('show <name>').description('Show a monitor with its last runs'),
    deps,
  ).action(async (name: string, flags: ClientFlags) => {
    const client = clientFor(flags);
    const monitor = await client.monitors.get(name);
    const runs = await client.monitors.runs(monitor.id, { limit: SHOWN_RUNS });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { monitor, runs });
    write(monitorDetails(monitor, runs));
  });
  addClientOptions(
    monitors.command('delete <name>').description('Delete a monitor with its runs, rules and alerts'),
    deps,
  ).action(async (name: string, flags: ClientFlags) => {
    await clientFor(flags).monitors.delete(name);
    writerOf(deps)(`Deleted monitor ${name}.\n`);
  });
}

function monitorDetails(monitor: Monitor, runs: MonitorRun[]): string {
  const fields = formatFields([
    ['id', monitor.id],
    ['name', monitor.name],
    ['endpoint', monitor.endpoint],
    ['reference', referenceOf(monitor)],
    ['checks', checkNames(monitor)],
    ['window', windowOf(monitor.window)],
    ['schedule', scheduleOf(monitor)],
    ['next run', formatTime(monitor.nextRunAt)],
    ['created', formatTime(monitor.createdAt)],
  ]);
  if (runs.length === 0) return `${fields}\nNo runs yet.\n`;
  const table = formatTable(
    ['RUN', 'STATE', 'WINDOW END', 'ROWS', 'FLAGGED'],
    runs.map((r) => [
      r.id,
      r.state,
      formatTime(r.to),
      r.rows === undefined ? '-' : String(r.rows),
      `${r.statistics.filter((s) => s.flagged).length}/${r.statistics.length}`,
    ]),
  );
  return `${fields}\n${table}`;
}

function referenceOf(monitor: Monitor): string {
  return `${monitor.reference.model}/${monitor.reference.version}`;
}

function checkNames(monitor: Monitor): string {
  return Object.keys(monitor.checks).join(', ');
}

function windowOf(window: MonitorWindow): string {
  return window.kind === 'rolling'
    ? `last ${formatDurationMs(window.durationMs)}`
    : `${formatTime(window.from)} to ${formatTime(window.to)}`;
}

function scheduleOf(monitor: Monitor): string {
  return monitor.schedule === undefined
    ? 'on demand'
    : `every ${formatDurationMs(monitor.schedule.intervalMs)}`;
}

function registerProfile(monitors: Command, deps: CliDeps): void {
  addClientOptions(
    monitors
      .command('profile <model/version>')
      .description('Upload rows as the reference profile of a model version (replaces an earlier one)')
      .requiredOption('--data <file>', 'the rows: a .json array or .jsonl (one object per line)'),
    deps,
  ).action(async (ref: string, flags: ClientFlags & { data: string }) => {
    const { model, version } = versionRefOf(ref, 'model');
    const rows = await readRows(flags.data);
    const reference = await clientFor(flags).monitors.putReferenceProfile(model, version, rows);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, reference);
    const columns = Object.keys(reference.profile.columns);
    write(
      `Reference profile of ${model}/${version}: ${reference.profile.rowCount} rows, ` +
        `${columns.length} columns (${columns.join(', ')}).\n`,
    );
  });
}

/** The rows of a .json array or a .jsonl file; INVALID_ARGUMENT (`data`) for anything else. */
async function readRows(file: string): Promise<Record<string, unknown>[]> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.jsonl' && ext !== '.ndjson') {
    throw invalidArgument(
      'data',
      `--data must be a .json file (an array of rows) or .jsonl (one row per line), got '${file}'.`,
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw invalidArgument('data', `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ext === '.json' ? parseJson(text, file) : jsonLines(text, file);
  if (!Array.isArray(parsed)) throw invalidArgument('data', `${file} must hold a JSON array of rows.`);
  const rows: unknown[] = parsed;
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw invalidArgument('data', `${file}: row ${i + 1} is not an object of input fields.`);
    }
  });
  if (rows.length === 0) throw invalidArgument('data', `${file} holds no rows.`);
  return rows as Record<string, unknown>[];
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidArgument(
      'data',
      `${where} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function jsonLines(text: string, file: string): unknown[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => parseJson(line, `${file} line ${n}`));
}

function registerRules(rules: Command, deps: CliDeps): void {
  addClientOptions(
    rules
      .command('add <monitor>')
      .description('Add an alert rule: fire when matching statistics are flagged')
      .requiredOption('--name <name>', 'rule name, unique within the monitor')
      .addOption(
        new Option('--check <check>', 'which check').choices(MONITOR_CHECK_KINDS).makeOptionMandatory(),
      )
      .option('--statistic <name>', 'only this statistic (e.g. ks, wasserstein, missing_share)')
      .option('--column <name>', 'only this column')
      .addOption(new Option('--severity <severity>', 'severity (default warning)').choices(ALERT_SEVERITIES))
      .option('--cooldown <duration>', 'no new notification for this long (default 1h; 0 for none)')
      .option('--webhook <url>', 'notify this URL (default: the server log)')
      .option('--secret <secret>', 'sign webhook notifications with this secret'),
    deps,
  ).action(async (monitor: string, flags: RuleFlags) => {
    const rule = await clientFor(flags).monitors.addRule(monitor, ruleRequestOf(flags));
    const write = writerOf(deps);
    if (flags.json) writeJson(write, rule);
    else write(`Added rule ${rule.name} (${rule.id}) to monitor ${monitor}.\n`);
  });
  addClientOptions(rules.command('list <monitor>').description("List a monitor's alert rules"), deps).action(
    async (monitor: string, flags: ClientFlags) => {
      const list = await clientFor(flags).monitors.rules(monitor);
      const write = writerOf(deps);
      if (flags.json) return writeJson(write, list);
      write(
        formatTable(
          ['NAME', 'SEVERITY', 'MATCH', 'COOLDOWN', 'CHANNELS'],
          list.map((r) => [r.name, r.severity, matchOf(r), cooldownOf(r.cooldownMs), channelsOf(r)]),
        ),
      );
    },
  );
}

/** The API request of `rules add`; INVALID_ARGUMENT naming the flag for bad values. */
export function ruleRequestOf(flags: RuleFlags): CreateAlertRuleInput {
  if (flags.secret !== undefined && flags.webhook === undefined) {
    throw invalidArgument('secret', '--secret signs webhook notifications: give --webhook <url> too.');
  }
  const match: CreateAlertRuleInput['match'] = { check: flags.check };
  if (flags.statistic !== undefined) match.name = flags.statistic;
  if (flags.column !== undefined) match.column = flags.column;
  const cooldownMs = flags.cooldown === undefined ? undefined : cooldownMsOf(flags.cooldown);
  return {
    name: flags.name,
    match,
    ...(flags.severity === undefined ? {} : { severity: flags.severity }),
    ...(cooldownMs === undefined ? {} : { cooldownMs }),
    ...(flags.webhook === undefined
      ? {}
      : {
          channels: [
            {
              kind: 'webhook',
              url: flags.webhook,
              ...(flags.secret === undefined ? {} : { secret: flags.secret }),
            },
          ],
        }),
  };
}

function cooldownMsOf(raw: string): number {
  return raw.trim() === '0' ? 0 : durationMs(raw, 'cooldown');
}

function cooldownOf(ms: number): string {
  return ms === 0 ? '0' : formatDurationMs(ms);
}

function matchOf(rule: AlertRule): string {
  const parts = [rule.match.check, rule.match.name ?? '*'];
  return rule.match.column === undefined ? parts.join('/') : `${parts.join('/')}(${rule.match.column})`;
}

function channelsOf(rule: AlertRule): string {
  return rule.channels.map((c) => (c.kind === 'webhook' ? c.url : 'log')).join(', ');
}

function registerAlerts(alerts: Command, deps: CliDeps): void {
  addClientOptions(
    alerts
      .command('list')
      .description('List alerts, newest first')
      .option('--monitor <name>', 'only of this monitor')
      .addOption(new Option('--state <state>', 'only in this state').choices(ALERT_STATES))
      .option('--limit <n>', 'at most this many (default 100)', parsePositiveInt),
    deps,
  ).action(async (flags: AlertsFlags) => {
    const client = clientFor(flags);
    const list = await client.monitors.alerts({
      ...(flags.monitor === undefined ? {} : { monitor: flags.monitor }),
      ...(flags.state === undefined ? {} : { state: flags.state }),
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, list);
    const names = await namesOf(client, list);
    write(
      formatTable(
        ['FIRED AT', 'SEVERITY', 'STATE', 'MONITOR', 'RULE', 'COLUMNS'],
        list.map((a) => [
          formatTime(a.firedAt),
          a.severity,
          a.state,
          names.get(a.monitorId) ?? a.monitorId,
          names.get(a.ruleId) ?? a.ruleId,
          evidenceColumns(a),
        ]),
      ),
    );
  });
}

/** Monitor and rule names by id, for the monitors the alerts belong to. */
async function namesOf(client: SlipwayClient, alerts: Alert[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (alerts.length === 0) return names;
  for (const monitor of await client.monitors.list()) names.set(monitor.id, monitor.name);
  for (const monitorId of new Set(alerts.map((a) => a.monitorId))) {
    for (const rule of await client.monitors.rules(monitorId)) names.set(rule.id, rule.name);
  }
  return names;
}

/** The distinct columns of the alert's evidence; `(dataset)` for dataset-level statistics. */
function evidenceColumns(alert: Alert): string {
  return [...new Set(alert.evidence.map((s) => s.column ?? '(dataset)'))].join(', ') || '-';
}
