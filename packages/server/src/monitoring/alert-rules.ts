/**
 * Alert rules over monitor runs, pure: which flagged statistics a rule selects, and what one run does
 * to each rule's alert (fire, update, resolve) and which notifications it sends. The alert state
 * machine is ok → firing → resolved; a rule's cooldown limits how often its receivers hear of it.
 * Deterministic: ids come from `newId`, time from `now`. See docs/monitoring.md#alerts.
 */
import type { Alert, AlertRule, MonitorRun, MonitorStatistic } from '@slipway/contracts';

/** What a notification announces. */
export type AlertEvent = 'firing' | 'resolved';

/** One notification to send: an alert, its rule and the transition it announces. */
export interface AlertNotification {
  alert: Alert;
  rule: AlertRule;
  event: AlertEvent;
}

/** The input of one evaluation. */
export interface EvaluateRulesInput {
  /** The monitor's rules; rules of other monitors are ignored. */
  rules: readonly AlertRule[];
  /**
   * Each rule's latest alert, by rule id: its firing alert, or when none is firing its latest
   * resolved one. A resolved alert is not open; it is passed because its `notifiedAt` is the rule's
   * last notification (the cooldown spans alerts) and it may still owe its resolution notification.
   * Passing only firing alerts also works, at the cost of those two features.
   */
  open: ReadonlyMap<string, Alert>;
  run: MonitorRun;
  /** ms since epoch. */
  now: number;
  newId: () => string;
}

/** What the caller writes (fire: insert; update, resolve: replace by id) and then sends. */
export interface AlertPlan {
  fire: Alert[];
  update: Alert[];
  resolve: Alert[];
  notify: AlertNotification[];
}

/** The flagged statistics of `run` that `rule.match` selects (check, and name and column when set). */
export function matchingStatistics(rule: AlertRule, run: MonitorRun): MonitorStatistic[] {
  const { check, name, column } = rule.match;
  return run.statistics.filter(
    (s) =>
      s.flagged &&
      s.check === check &&
      (name === undefined || s.name === name) &&
      (column === undefined || s.column === column),
  );
}

/**
 * The plan one run yields, rule by rule in the order given. Only succeeded runs count: a failed (or
 * still running) run says nothing about the data, so it neither fires nor resolves anything.
 */
export function evaluateRules(input: EvaluateRulesInput): AlertPlan {
  const plan: AlertPlan = { fire: [], update: [], resolve: [], notify: [] };
  if (input.run.state !== 'succeeded') return plan;
  for (const rule of input.rules) {
    if (rule.monitorId !== input.run.monitorId) continue;
    const step = evaluateRule(rule, input.open.get(rule.id), input);
    if (step === undefined) continue;
    plan[step.kind].push(step.alert);
    if (step.notify !== undefined) plan.notify.push({ alert: step.alert, rule, event: step.notify });
  }
  return plan;
}

/** One rule's transition: the alert written, how, and the notification it sends if any. */
interface RuleStep {
  kind: 'fire' | 'update' | 'resolve';
  alert: Alert;
  notify?: AlertEvent;
}

type Context = Pick<EvaluateRulesInput, 'run' | 'now' | 'newId'>;

function evaluateRule(rule: AlertRule, latest: Alert | undefined, ctx: Context): RuleStep | undefined {
  const evidence = matchingStatistics(rule, ctx.run);
  if (evidence.length > 0) return onMatch(rule, latest, evidence, ctx);
  return latest === undefined ? undefined : onClear(rule, latest, ctx);
}

/** The rule matches: keep its firing alert going, take back an unannounced resolution, or fire anew. */
function onMatch(
  rule: AlertRule,
  latest: Alert | undefined,
  evidence: MonitorStatistic[],
  ctx: Context,
): RuleStep {
  if (latest?.state === 'firing') {
    const alert: Alert = { ...latest, lastRun: ctx.run.id, evidence };
    // Deduplication: a firing alert is announced once, late if its firing fell in the cooldown.
    return announceIf(
      !firingAnnounced(latest) && isQuiet(rule, latest, ctx.now),
      'update',
      alert,
      'firing',
      ctx,
    );
  }
  if (latest !== undefined && resolutionOwed(latest)) {
    // Receivers still believe it is firing, so flapping inside the cooldown reopens it silently.
    const { resolvedAt: _resolvedAt, ...rest } = latest;
    return { kind: 'update', alert: { ...rest, state: 'firing', lastRun: ctx.run.id, evidence } };
  }
  const alert: Alert = {
    id: ctx.newId(),
    ruleId: rule.id,
    monitorId: rule.monitorId,
    severity: rule.severity,
    state: 'firing',
    firedAt: ctx.now,
    firedByRun: ctx.run.id,
    lastRun: ctx.run.id,
    evidence,
    // Inherited, so the next alert's cooldown still sees the rule's last notification.
    ...(latest?.notifiedAt === undefined ? {} : { notifiedAt: latest.notifiedAt }),
  };
  return announceIf(isQuiet(rule, latest, ctx.now), 'fire', alert, 'firing', ctx);
}

/** The rule no longer matches: resolve a firing alert, or send a resolution the cooldown held back. */
function onClear(rule: AlertRule, latest: Alert, ctx: Context): RuleStep | undefined {
  if (latest.state === 'firing') {
    const alert: Alert = { ...latest, state: 'resolved', resolvedAt: ctx.now };
    // A firing never announced is not announced as resolved either: receivers never heard of it.
    const announce = firingAnnounced(latest) && isQuiet(rule, latest, ctx.now);
    return announceIf(announce, 'resolve', alert, 'resolved', ctx);
  }
  if (resolutionOwed(latest) && isQuiet(rule, latest, ctx.now)) {
    return { kind: 'update', alert: { ...latest, notifiedAt: ctx.now }, notify: 'resolved' };
  }
  return undefined;
}

/** The step, stamped `notifiedAt = now` and carrying its notification when `announce` holds. */
function announceIf(
  announce: boolean,
  kind: RuleStep['kind'],
  alert: Alert,
  event: AlertEvent,
  ctx: Context,
): RuleStep {
  return announce ? { kind, alert: { ...alert, notifiedAt: ctx.now }, notify: event } : { kind, alert };
}

/** True when no notification for the rule was sent within its cooldown. */
function isQuiet(rule: AlertRule, latest: Alert | undefined, now: number): boolean {
  const last = latest?.notifiedAt;
  return last === undefined || now - last >= rule.cooldownMs;
}

/** A notification at or after the firing time can only be this alert's own firing notification. */
function firingAnnounced(alert: Alert): boolean {
  return alert.notifiedAt !== undefined && alert.notifiedAt >= alert.firedAt;
}

/** Resolved, its firing announced, its resolution not yet. */
function resolutionOwed(alert: Alert): boolean {
  return (
    alert.state === 'resolved' &&
    firingAnnounced(alert) &&
    alert.resolvedAt !== undefined &&
    (alert.notifiedAt ?? 0) < alert.resolvedAt
  );
}
