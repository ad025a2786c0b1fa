/**
 * Alert channels against a real local HTTP receiver (node:http): the signed POST, verified with the
 * registry webhooks' own verifier; failures, timeouts and redirects; URL validation; the log line.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SlipwayError,
  type Alert,
  type AlertChannel,
  type AlertRule,
  WEBHOOK_SIGNATURE_HEADER,
} from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  LogAlertChannel,
  WebhookAlertChannel,
  formatAlertLine,
  notifierFor,
  validateChannel,
  type AlertWebhookPayload,
} from '../../src/monitoring/alert-channels.js';
import type { AlertNotification } from '../../src/monitoring/alert-rules.js';
import { verifyWebhookSignature } from '../../src/registry/webhook-signing.js';
import { closedPortUrl, WebhookReceiver } from '../registry/webhook-receiver.js';

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

describe('WebhookAlertChannel', () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  test('POSTs the payload as JSON, signed like registry webhooks', async () => {
    const channel: AlertChannel = { kind: 'webhook', url: `${receiver.url}/alerts?team=ml`, secret: SECRET };
    await new WebhookAlertChannel(channel, { now: () => NOW }).notify(notification([channel]));

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/alerts?team=ml');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('Slipway-Alerts/1');
    expect(request?.headers['slipway-event']).toBe('alert.firing');
    expect(request?.headers['slipway-delivery']).toBe('al1.firing');
    const signature = String(request?.headers[WEBHOOK_SIGNATURE_HEADER]);
    expect(signature).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, signature, request?.body ?? '', NOW)).toBe(true);
    expect(
      verifyWebhookSignature('whsec_some-other-secret-000000', signature, request?.body ?? '', NOW),
    ).toBe(false);

    const payload = JSON.parse(request?.body ?? '') as AlertWebhookPayload;
    expect(payload).toEqual({
      event: 'firing',
      alert,
      rule: { id: 'r1', name: 'age drift', severity: 'critical' },
      monitor: { id: 'm1' },
    });
    // The rule's channels (and their secrets) are not part of the payload.
    expect(request?.body).not.toContain(SECRET);
  });

  test('a resolution is sent as alert.resolved; without a secret there is no signature header', async () => {
    const channel: AlertChannel = { kind: 'webhook', url: receiver.url };
    await notifierFor(channel).notify(notification([channel], 'resolved'));
    const [request] = receiver.requests;
    expect(request?.headers['slipway-event']).toBe('alert.resolved');
    expect(request?.headers['slipway-delivery']).toBe('al1.resolved');
    expect(request?.headers[WEBHOOK_SIGNATURE_HEADER]).toBeUndefined();
    expect((JSON.parse(request?.body ?? '') as AlertWebhookPayload).event).toBe('resolved');
  });

  test('a non-2xx answer is reported as UNAVAILABLE with its status, naming only the origin', async () => {
    receiver.failNext(1, 503);
    const url = `${receiver.url}/hooks/T0KEN-IN-PATH?key=query-token`;
    const channel: AlertChannel = { kind: 'webhook', url, secret: SECRET };
    const error = await rejection(new WebhookAlertChannel(channel).notify(notification([channel])));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(`Alert webhook ${receiver.url} answered 503.`);
    expect(error.details).toEqual({ origin: receiver.url, statusCode: 503 });
    // No retry loop here: one request, the caller retries.
    expect(receiver.requests).toHaveLength(1);
    // And a retry of the same notification is accepted.
    await new WebhookAlertChannel(channel).notify(notification([channel]));
    expect(receiver.requests).toHaveLength(2);
  });

  test('a receiver that never answers times out', async () => {
    receiver.hangNext(1);
    const channel: AlertChannel = { kind: 'webhook', url: receiver.url };
    const error = await rejection(
      new WebhookAlertChannel(channel, { timeoutMs: 150 }).notify(notification([channel])),
    );
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(`Alert webhook ${receiver.url} timed out after 150 ms.`);
  });

  test('a refused connection is reported', async () => {
    const url = await closedPortUrl();
    const channel: AlertChannel = { kind: 'webhook', url };
    const error = await rejection(new WebhookAlertChannel(channel).notify(notification([channel])));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(
      /^Alert webhook http:\/\/127\.0\.0\.1:\d+ failed: fetch failed: .*ECONNREFUSED/,
    );
  });

  describe('redirects', () => {
    let redirector: Server;

    beforeEach(async () => {
      redirector = createServer((_req, res) =>
        res.writeHead(307, { location: `${receiver.url}/elsewhere` }).end(),
      );
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      redirector.closeAllConnections();
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    });

    test('are not followed: a 3xx is a failed delivery', async () => {
      const { port } = redirector.address() as AddressInfo;
      const channel: AlertChannel = { kind: 'webhook', url: `http://127.0.0.1:${port}/hook` };
      const error = await rejection(new WebhookAlertChannel(channel).notify(notification([channel])));
      expect(error.details.statusCode).toBe(307);
      expect(receiver.requests).toHaveLength(0);
    });
  });

  test('a stored URL that fails validation is refused at send time without a request', async () => {
    const channel: AlertChannel = { kind: 'webhook', url: `${receiver.url}/a\r\nX-Injected: y` };
    const error = await rejection(new WebhookAlertChannel(channel).notify(notification([channel])));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(receiver.requests).toHaveLength(0);
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
    await new LogAlertChannel({ writeLine: (line) => lines.push(line) }).notify(
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

  test('notifierFor picks the channel by kind', () => {
    expect(notifierFor({ kind: 'log' })).toBeInstanceOf(LogAlertChannel);
    expect(notifierFor(webhook)).toBeInstanceOf(WebhookAlertChannel);
  });
});
