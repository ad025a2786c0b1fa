/**
 * Alert channels: what a notification queues (one webhook delivery job per webhook channel, the
 * secret only referenced), URL and secret validation, the log line. The POST itself, against a real
 * receiver, is test/jobs/webhook-delivery.test.ts.
 */
import {
  SlipwayError,
  type Alert,
  type AlertChannel,
  type AlertRule,
  type WebhookDeliveryPayload,
} from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import {
  LogAlertChannel,
  alertDispatcher,
  formatAlertLine,
  validateChannel,
  type AlertWebhookPayload,
} from '../../src/monitoring/alert-channels.js';
import type { AlertNotification } from '../../src/monitoring/alert-rules.js';

const NOW = 1_767_225_600_123;
const SECRET = 'whsec_alerts-test-secret-0123456789';

const alert: Alert = {
  id: 'al1',
  ruleId: 'r1',
  monitorId: 'm1',
  severity: 'critical',
  state: 'firing',
  firedAt: NOW,
  firedByRun: 'run1',
  lastRun: 'run2',
  evidence: [
    {
      check: 'drift',
      column: 'age',
      name: 'wasserstein',
      value: 0.31,
      threshold: 0.1,
      flagged: true,
      details: { pValue: 0.001 },
    },
    { check: 'service', name: 'latency_p99_ms', value: 900, threshold: 500, flagged: true },
  ],
  notifiedAt: NOW,
};

function ruleWith(channels: AlertChannel[]): AlertRule {
  return {
    id: 'r1',
    monitorId: 'm1',
    name: 'age drift',
    severity: 'critical',
    match: { check: 'drift' },
    cooldownMs: 60_000,
    channels,
  };
}

function notification(channels: AlertChannel[], event: 'firing' | 'resolved' = 'firing'): AlertNotification {
  return { alert, rule: ruleWith(channels), event };
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

function thrown(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a throw');
}

describe('alertDispatcher', () => {
  const hook: AlertChannel = { kind: 'webhook', url: 'https://hooks.example.com/a?team=ml', secret: SECRET };
  const plain: AlertChannel = { kind: 'webhook', url: 'http://127.0.0.1:9/b' };

  function dispatcher(lines: string[], queued: WebhookDeliveryPayload[]) {
    return alertDispatcher({
      writeLine: (line) => lines.push(line),
      submit: async (payload) => {
        queued.push(payload);
        return { id: `job_${queued.length}` };
      },
    });
  }

  test('writes the log line at once and queues one delivery job per webhook channel, in order', async () => {
    const lines: string[] = [];
    const queued: WebhookDeliveryPayload[] = [];
    const withDeliveries = { ...alert, deliveries: [{ event: 'firing' as const, channel: 0, jobId: 'old' }] };
    const deliveries = await dispatcher(
      lines,
      queued,
    )({
      alert: withDeliveries,
      rule: ruleWith([hook, { kind: 'log' }, plain]),
      event: 'firing',
    });
    expect(deliveries).toEqual([
      { event: 'firing', channel: 0, jobId: 'job_1' },
      { event: 'firing', channel: 2, jobId: 'job_2' },
    ]);
    expect(lines).toHaveLength(1);
    expect(queued[0]).toEqual({
      url: hook.url,
      event: 'alert.firing',
      deliveryId: 'al1.firing',
      body: queued[0]?.body,
      signing: { alertRule: 'r1', channel: 0 },
      alertId: 'al1',
    });
    // The body is the announcement, without the platform's bookkeeping of earlier deliveries.
    expect(JSON.parse(queued[0]?.body ?? '') as AlertWebhookPayload).toEqual({
      event: 'firing',
      alert,
      rule: { id: 'r1', name: 'age drift', severity: 'critical' },
      monitor: { id: 'm1' },
    });
    // The secret stays in the rule: the job (readable through the jobs API) only points at it.
    expect(JSON.stringify(queued)).not.toContain(SECRET);
    // A channel without a secret is sent unsigned.
    expect(queued[1]).not.toHaveProperty('signing');
  });

  test('a resolution is queued as alert.resolved with its own delivery id', async () => {
    const queued: WebhookDeliveryPayload[] = [];
    await dispatcher([], queued)(notification([plain], 'resolved'));
    expect(queued.map((p) => [p.event, p.deliveryId])).toEqual([['alert.resolved', 'al1.resolved']]);
    expect((JSON.parse(queued[0]?.body ?? '') as AlertWebhookPayload).event).toBe('resolved');
  });

  test('rejects when a delivery cannot be queued, so the run sends the notification again', async () => {
    const failing = alertDispatcher({
      writeLine: () => undefined,
      submit: () => Promise.reject(new SlipwayError('UNAVAILABLE', 'database is down')),
    });
    const error = await rejection(failing(notification([hook])));
    expect(error.message).toBe('database is down');
  });
});

describe('validateChannel', () => {
  test.each([
    ['http://a\r\nX: y', 'control characters'],
    ['http://a/\nb', 'control characters'],
    ['http://a/\u0000', 'control characters'],
    ['http://a/\tb', 'control characters'],
    ['http://a/\u2028', 'control characters'],
    ['ftp://x', 'http or https'],
    ['javascript:alert(1)', 'http or https'],
    ['http://user:pw@x', 'credentials'],
    ['http://user@x', 'credentials'],
    ['/relative/path', 'absolute URL'],
    ['', '1 to 2048 characters'],
    ['http://x/#frag', 'fragment'],
    [`http://x/${'a'.repeat(2048)}`, '1 to 2048 characters'],
  ])('refuses %j (%s), naming the field', (url, reason) => {
    const error = thrown(() => validateChannel({ kind: 'webhook', url }, 'channels[0]'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details.field).toBe('channels[0].url');
    expect(error.message).toContain(reason);
  });

  test('refuses a bad secret, naming it, and never echoes it', () => {
    for (const secret of ['short', 'has a space in it 0123456789', 'line\nbreak-0123456789']) {
      const error = thrown(() =>
        validateChannel({ kind: 'webhook', url: 'https://x/h', secret }, 'channels[1]'),
      );
      expect(error.details.field).toBe('channels[1].secret');
      expect(error.message).not.toContain(secret);
    }
  });

  test('refuses an unknown kind', () => {
    const error = thrown(() => validateChannel({ kind: 'email' } as unknown as AlertChannel, 'channels[2]'));
    expect(error.details.field).toBe('channels[2].kind');
  });

  test('accepts http(s) URLs and returns only the known fields', () => {
    const extra = {
      kind: 'webhook',
      url: 'https://hooks.example.com/a?b=c',
      secret: SECRET,
      note: 'x',
    } as AlertChannel;
    expect(validateChannel(extra, 'channels[0]')).toEqual({
      kind: 'webhook',
      url: 'https://hooks.example.com/a?b=c',
      secret: SECRET,
    });
    expect(validateChannel({ kind: 'webhook', url: 'http://10.0.0.1:8080/h' }, 'c')).toEqual({
      kind: 'webhook',
      url: 'http://10.0.0.1:8080/h',
    });
    expect(validateChannel({ kind: 'log' }, 'c')).toEqual({ kind: 'log' });
  });
});

describe('LogAlertChannel', () => {
  const webhook: AlertChannel = {
    kind: 'webhook',
    url: 'https://hooks.example.com/services/T0KEN',
    secret: SECRET,
  };

  test('writes one line naming the alert and its evidence, and nothing of the channels', async () => {
    const lines: string[] = [];
    new LogAlertChannel({ writeLine: (line) => lines.push(line) }).write(
      notification([webhook, { kind: 'log' }]),
    );
    expect(lines).toEqual([
      'alert firing: rule "age drift" ("r1") severity=critical monitor="m1" alert="al1" run="run2" ' +
        'evidence: drift/wasserstein("age")=0.31 threshold=0.1, service/latency_p99_ms=900 threshold=500',
    ]);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).not.toContain('T0KEN');
  });

  test('a rule name cannot break the line', () => {
    const n = notification([{ kind: 'log' }], 'resolved');
    const line = formatAlertLine({
      ...n,
      rule: { ...n.rule, name: 'x\nalert firing: forged' },
      alert: { ...alert, evidence: [] },
    });
    expect(line).toBe(
      'alert resolved: rule "x\\nalert firing: forged" ("r1") severity=critical monitor="m1" alert="al1" run="run2" evidence: none',
    );
    expect(line).not.toContain('\n');
  });
});
