/**
 * The alert state machine, run by run: a small harness plays the caller (applies each plan to a map of
 * each rule's latest alert, as the monitor runner will with the store) and advances an injected clock.
 */
import type { Alert, AlertRule, MonitorRun, MonitorStatistic } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import { evaluateRules, matchingStatistics, type AlertPlan } from '../../src/monitoring/alert-rules.js';

const T0 = 1_767_225_600_000;
const MINUTE = 60_000;

const ageDrift: MonitorStatistic = {
  check: 'drift',
  column: 'age',
  name: 'wasserstein',
  value: 0.31,
  threshold: 0.1,
  flagged: true,
  details: { histogram: { reference: [1, 2], current: [2, 1] } },
};
const incomeDrift: MonitorStatistic = {
  check: 'drift',
  column: 'income',
  name: 'psi',
  value: 0.4,
  threshold: 0.2,
  flagged: true,
};
const countryCalm: MonitorStatistic = {
  check: 'drift',
  column: 'country',
  name: 'psi',
  value: 0.01,
  threshold: 0.2,
  flagged: false,
};
const missingAge: MonitorStatistic = {
  check: 'data_quality',
  column: 'age',
  name: 'missing_share',
  value: 0.2,
  threshold: 0.05,
  flagged: true,
};
const latency: MonitorStatistic = {
  check: 'service',
  name: 'latency_p99_ms',
  value: 900,
  threshold: 500,
  flagged: true,
};

function rule(overrides: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 'r1',
    monitorId: 'm1',
    name: 'drift',
    severity: 'warning',
    match: { check: 'drift' },
    cooldownMs: 0,
    channels: [{ kind: 'log' }],
    ...overrides,
  };
}

function run(id: string, statistics: MonitorStatistic[], overrides: Partial<MonitorRun> = {}): MonitorRun {
  return {
    id,
    monitorId: 'm1',
    state: 'succeeded',
    from: 0,
    to: 1,
    startedAt: 0,
    finishedAt: 1,
    statistics,
    ...overrides,
  };
}

/** Plays the monitor runner: evaluates a run, applies the plan to `latest`, returns the plan. */
class Harness {
  readonly latest = new Map<string, Alert>();
  private ids = 0;

  constructor(readonly rules: AlertRule[]) {}

  evaluate(r: MonitorRun, now: number): AlertPlan {
    const plan = evaluateRules({
      rules: this.rules,
      open: this.latest,
      run: r,
      now,
      newId: () => `a${++this.ids}`,
    });
    for (const alert of [...plan.fire, ...plan.update, ...plan.resolve]) this.latest.set(alert.ruleId, alert);
    return plan;
  }
}

/** `firing a1` / `resolved a1`: what receivers heard. */
function heard(plan: AlertPlan): string[] {
  return plan.notify.map((n) => `${n.event} ${n.alert.id} (${n.rule.id})`);
}

function ids(alerts: Alert[]): string[] {
  return alerts.map((a) => a.id);
}

describe('matchingStatistics', () => {
  const r = run('run1', [ageDrift, incomeDrift, countryCalm, missingAge, latency]);

  test('by check: every flagged statistic of that check, unflagged ones never', () => {
    expect(matchingStatistics(rule(), r)).toEqual([ageDrift, incomeDrift]);
    expect(matchingStatistics(rule({ match: { check: 'service' } }), r)).toEqual([latency]);
    expect(matchingStatistics(rule({ match: { check: 'performance' } }), r)).toEqual([]);
  });

  test('by check and name', () => {
    expect(matchingStatistics(rule({ match: { check: 'drift', name: 'psi' } }), r)).toEqual([incomeDrift]);
    expect(matchingStatistics(rule({ match: { check: 'data_quality', name: 'psi' } }), r)).toEqual([]);
  });

  test('by check and column, and by all three', () => {
    expect(matchingStatistics(rule({ match: { check: 'drift', column: 'age' } }), r)).toEqual([ageDrift]);
    expect(matchingStatistics(rule({ match: { check: 'data_quality', column: 'age' } }), r)).toEqual([
      missingAge,
    ]);
    expect(matchingStatistics(rule({ match: { check: 'drift', column: 'country' } }), r)).toEqual([]);
    expect(matchingStatistics(rule({ match: { check: 'drift', name: 'psi', column: 'age' } }), r)).toEqual(
      [],
    );
    expect(
      matchingStatistics(rule({ match: { check: 'drift', name: 'wasserstein', column: 'age' } }), r),
    ).toEqual([ageDrift]);
  });
});

describe('evaluateRules without cooldown', () => {
  test('ok → firing: a new alert with the evidence, fired and last seen by the run, announced', () => {
    const h = new Harness([rule()]);
    const plan = h.evaluate(run('run1', [ageDrift, countryCalm]), T0);
    expect(plan.fire).toEqual([
      {
        id: 'a1',
        ruleId: 'r1',
        monitorId: 'm1',
        severity: 'warning',
        state: 'firing',
        firedAt: T0,
        firedByRun: 'run1',
        lastRun: 'run1',
        evidence: [ageDrift],
        notifiedAt: T0,
      },
    ]);
    expect(plan.update).toEqual([]);
    expect(plan.resolve).toEqual([]);
    expect(heard(plan)).toEqual(['firing a1 (r1)']);
    expect(plan.notify[0]?.rule).toBe(h.rules[0]);
  });

  test('nothing matches and nothing is open: an empty plan', () => {
    const h = new Harness([rule()]);
    expect(h.evaluate(run('run1', [countryCalm]), T0)).toEqual({
      fire: [],
      update: [],
      resolve: [],
      notify: [],
    });
  });

  test('firing → firing: the open alert is updated (last run, evidence), not announced again', () => {
    const h = new Harness([rule()]);
    h.evaluate(run('run1', [ageDrift]), T0);
    const plan = h.evaluate(run('run2', [ageDrift, incomeDrift]), T0 + MINUTE);
    expect(plan.fire).toEqual([]);
    expect(plan.update).toEqual([
      expect.objectContaining({
        id: 'a1',
        state: 'firing',
        firedAt: T0,
        firedByRun: 'run1',
        lastRun: 'run2',
        evidence: [ageDrift, incomeDrift],
        notifiedAt: T0,
      }),
    ]);
    expect(plan.notify).toEqual([]);
  });

  test('firing → resolved: resolved at now, last run kept, announced', () => {
    const h = new Harness([rule()]);
    h.evaluate(run('run1', [ageDrift]), T0);
    h.evaluate(run('run2', [ageDrift]), T0 + MINUTE);
    const plan = h.evaluate(run('run3', [countryCalm]), T0 + 2 * MINUTE);
    expect(plan.resolve).toEqual([
      {
        id: 'a1',
        ruleId: 'r1',
        monitorId: 'm1',
        severity: 'warning',
        state: 'resolved',
        firedAt: T0,
        resolvedAt: T0 + 2 * MINUTE,
        firedByRun: 'run1',
        lastRun: 'run2',
        evidence: [ageDrift],
        notifiedAt: T0 + 2 * MINUTE,
      },
    ]);
    expect(heard(plan)).toEqual(['resolved a1 (r1)']);
    // Resolved stays resolved: later clear runs change nothing.
    expect(h.evaluate(run('run4', []), T0 + 3 * MINUTE)).toEqual({
      fire: [],
      update: [],
      resolve: [],
      notify: [],
    });
  });

  test('resolved → firing again: a new alert, the old one untouched', () => {
    const h = new Harness([rule()]);
    h.evaluate(run('run1', [ageDrift]), T0);
    h.evaluate(run('run2', []), T0 + MINUTE);
    const plan = h.evaluate(run('run3', [incomeDrift]), T0 + 2 * MINUTE);
    expect(ids(plan.fire)).toEqual(['a2']);
    expect(plan.fire[0]).toMatchObject({
      firedAt: T0 + 2 * MINUTE,
      firedByRun: 'run3',
      evidence: [incomeDrift],
    });
    expect(plan.update).toEqual([]);
    expect(heard(plan)).toEqual(['firing a2 (r1)']);
  });

  test('failed and running runs change nothing, even with an alert open', () => {
    const h = new Harness([rule()]);
    h.evaluate(run('run1', [ageDrift]), T0);
    const error = { code: 'INTERNAL', message: 'boom' };
    const empty = { fire: [], update: [], resolve: [], notify: [] };
    expect(h.evaluate(run('run2', [], { state: 'failed', error }), T0 + MINUTE)).toEqual(empty);
    expect(h.evaluate(run('run3', [incomeDrift], { state: 'failed', error }), T0 + MINUTE)).toEqual(empty);
    expect(h.evaluate(run('run4', [], { state: 'running' }), T0 + MINUTE)).toEqual(empty);
    expect(h.latest.get('r1')).toMatchObject({ state: 'firing', lastRun: 'run1' });
  });

  test('several rules on one monitor move independently, in rule order', () => {
    const drift = rule({ id: 'drift', severity: 'warning', match: { check: 'drift', column: 'age' } });
    const quality = rule({
      id: 'quality',
      severity: 'critical',
      match: { check: 'data_quality', name: 'missing_share' },
    });
    const service = rule({ id: 'service', severity: 'info', match: { check: 'service' } });
    const h = new Harness([drift, quality, service]);

    const first = h.evaluate(run('run1', [ageDrift, missingAge]), T0);
    expect(first.fire.map((a) => [a.id, a.ruleId, a.severity])).toEqual([
      ['a1', 'drift', 'warning'],
      ['a2', 'quality', 'critical'],
    ]);
    expect(heard(first)).toEqual(['firing a1 (drift)', 'firing a2 (quality)']);

    const second = h.evaluate(run('run2', [ageDrift, latency]), T0 + MINUTE);
    expect(ids(second.fire)).toEqual(['a3']);
    expect(ids(second.update)).toEqual(['a1']);
    expect(ids(second.resolve)).toEqual(['a2']);
    expect(heard(second)).toEqual(['resolved a2 (quality)', 'firing a3 (service)']);
  });

  test('rules of another monitor are ignored', () => {
    const h = new Harness([rule({ monitorId: 'other' })]);
    expect(h.evaluate(run('run1', [ageDrift]), T0).fire).toEqual([]);
  });
});

describe('evaluateRules with a cooldown', () => {
  const cooled = (): Harness => new Harness([rule({ cooldownMs: 10 * MINUTE })]);

  test('a re-fire inside the cooldown is silent, and announced at the first run after it', () => {
    const h = cooled();
    h.evaluate(run('run1', [ageDrift]), T0);
    // 11 min: out of the cooldown, so the resolution is announced at once.
    expect(heard(h.evaluate(run('run2', []), T0 + 11 * MINUTE))).toEqual(['resolved a1 (r1)']);

    const refire = h.evaluate(run('run3', [ageDrift]), T0 + 12 * MINUTE);
    expect(ids(refire.fire)).toEqual(['a2']);
    // The rule's last notification is carried on the new alert.
    expect(refire.fire[0]?.notifiedAt).toBe(T0 + 11 * MINUTE);
    expect(refire.notify).toEqual([]);

    const stillInside = h.evaluate(run('run4', [ageDrift]), T0 + 20 * MINUTE);
    expect(ids(stillInside.update)).toEqual(['a2']);
    expect(stillInside.notify).toEqual([]);

    const after = h.evaluate(run('run5', [ageDrift]), T0 + 21 * MINUTE);
    expect(heard(after)).toEqual(['firing a2 (r1)']);
    expect(after.update[0]?.notifiedAt).toBe(T0 + 21 * MINUTE);

    // Announced once: later matching runs are deduplicated again.
    expect(h.evaluate(run('run6', [ageDrift]), T0 + 40 * MINUTE).notify).toEqual([]);
  });

  test('a resolution inside the cooldown is held back, then sent by the first clear run after it', () => {
    const h = cooled();
    h.evaluate(run('run1', [ageDrift]), T0);
    const early = h.evaluate(run('run2', []), T0 + 3 * MINUTE);
    expect(early.resolve[0]).toMatchObject({
      id: 'a1',
      state: 'resolved',
      resolvedAt: T0 + 3 * MINUTE,
      notifiedAt: T0,
    });
    expect(early.notify).toEqual([]);

    expect(h.evaluate(run('run3', []), T0 + 9 * MINUTE)).toEqual({
      fire: [],
      update: [],
      resolve: [],
      notify: [],
    });

    const due = h.evaluate(run('run4', []), T0 + 10 * MINUTE);
    expect(due.update).toEqual([
      expect.objectContaining({ id: 'a1', state: 'resolved', notifiedAt: T0 + 10 * MINUTE }),
    ]);
    expect(heard(due)).toEqual(['resolved a1 (r1)']);
    expect(h.evaluate(run('run5', []), T0 + 30 * MINUTE).notify).toEqual([]);
  });

  test('flapping inside the cooldown reopens the unannounced resolution instead of a new alert', () => {
    const h = cooled();
    h.evaluate(run('run1', [ageDrift]), T0);
    h.evaluate(run('run2', []), T0 + MINUTE);
    const back = h.evaluate(run('run3', [incomeDrift]), T0 + 2 * MINUTE);
    expect(back.fire).toEqual([]);
    expect(back.update).toHaveLength(1);
    const reopened = back.update[0];
    expect(reopened).toMatchObject({
      id: 'a1',
      state: 'firing',
      firedByRun: 'run1',
      lastRun: 'run3',
      evidence: [incomeDrift],
    });
    expect(reopened && 'resolvedAt' in reopened).toBe(false);
    expect(back.notify).toEqual([]);
  });

  test('an alert never announced is not announced as resolved', () => {
    const h = cooled();
    h.evaluate(run('run1', [ageDrift]), T0);
    h.evaluate(run('run2', []), T0 + 11 * MINUTE);
    h.evaluate(run('run3', [ageDrift]), T0 + 12 * MINUTE); // a2, silent
    const resolved = h.evaluate(run('run4', []), T0 + 13 * MINUTE);
    expect(ids(resolved.resolve)).toEqual(['a2']);
    expect(resolved.notify).toEqual([]);
    // Nor later, once out of the cooldown.
    expect(h.evaluate(run('run5', []), T0 + 30 * MINUTE).notify).toEqual([]);
    // Firing again makes a fresh alert (a2 was never heard of), announced now that it is quiet.
    const again = h.evaluate(run('run6', [ageDrift]), T0 + 31 * MINUTE);
    expect(ids(again.fire)).toEqual(['a3']);
    expect(heard(again)).toEqual(['firing a3 (r1)']);
  });

  test('the cooldown boundary: exactly cooldownMs after the last notification is allowed', () => {
    const h = cooled();
    h.evaluate(run('run1', [ageDrift]), T0);
    expect(h.evaluate(run('run2', []), T0 + 10 * MINUTE - 1).notify).toEqual([]);
    expect(heard(h.evaluate(run('run3', []), T0 + 10 * MINUTE))).toEqual(['resolved a1 (r1)']);
  });

  test('without the resolved alert in the map, a re-fire is a plain new announced alert', () => {
    const r = rule({ cooldownMs: 10 * MINUTE });
    const plan = evaluateRules({
      rules: [r],
      open: new Map(),
      run: run('run1', [ageDrift]),
      now: T0,
      newId: () => 'x',
    });
    expect(heard(plan)).toEqual(['firing x (r1)']);
  });
});
