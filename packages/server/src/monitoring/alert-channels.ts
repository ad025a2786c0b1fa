/**
 * Where alert notifications go: the server's log (one line, written at once) or a webhook (a
 * `webhook_delivery` job: the job runner POSTs it signed with the registry webhooks' scheme, so one
 * receiver verifies both, and retries it with backoff). Secrets never appear in log lines, job
 * payloads or error messages, and neither does a URL's path or query in errors, since many webhook
 * URLs (Slack's, for one) carry their credential there.
 */
import {
  invalidArgument,
  type AlertChannel,
  type AlertDelivery,
  type MonitorStatistic,
  type WebhookDeliveryPayload,
} from '@slipway/contracts';
import type { AlertEvent, AlertNotification } from './alert-rules.js';

/** Queues one webhook delivery job (JobService.submitWebhookDelivery); resolves with the job. */
export type SubmitDelivery = (payload: WebhookDeliveryPayload) => Promise<{ id: string }>;

/** What alert notifications are sent with. */
export interface AlertDispatchDeps {
  submit: SubmitDelivery;
  /** Receives the log channel's lines (default: console.log). */
  writeLine?: (line: string) => void;
}

/** The body a webhook receives. */
export interface AlertWebhookPayload {
  event: AlertEvent;
  alert: AlertNotification['alert'];
  rule: { id: string; name: string; severity: AlertNotification['rule']['severity'] };
  monitor: { id: string };
}

const MAX_URL_LENGTH = 2048;
/** As registry webhook secrets: printable ASCII, no spaces. */
const SECRET = /^[\x21-\x7e]{16,256}$/;
/** C0 and C1 controls, DEL and Unicode line breaks: anything that could split a header or a log line. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A channel checked at rule-validation time, with only its known fields. `field` prefixes the
 * field names errors carry (`channels[0]` → `channels[0].url`).
 */
export function validateChannel(channel: AlertChannel, field: string): AlertChannel {
  if (channel.kind === 'log') return { kind: 'log' };
  if (channel.kind !== 'webhook') {
    throw invalidArgument(`${field}.kind`, "A channel's kind must be 'webhook' or 'log'.");
  }
  const url = validateAlertWebhookUrl(channel.url, `${field}.url`);
  if (channel.secret === undefined) return { kind: 'webhook', url };
  if (typeof channel.secret !== 'string' || !SECRET.test(channel.secret)) {
    throw invalidArgument(
      `${field}.secret`,
      'A webhook secret must be 16 to 256 printable ASCII characters, no spaces.',
    );
  }
  return { kind: 'webhook', url, secret: channel.secret };
}

/**
 * An absolute http(s) URL without credentials, fragment or control characters, returned unchanged.
 * Controls are checked on the raw string: the URL parser silently strips tabs and newlines, so
 * `http://a\r\nX: y` would otherwise pass as a harmless-looking host.
 */
export function validateAlertWebhookUrl(url: string, field: string): string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) {
    throw invalidArgument(field, `A webhook URL must be a string of 1 to ${MAX_URL_LENGTH} characters.`);
  }
  if (CONTROL_CHARACTERS.test(url)) {
    throw invalidArgument(field, 'A webhook URL may not contain control characters (CR, LF, ...).');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(field, 'A webhook URL must be an absolute URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidArgument(field, 'A webhook URL must use http or https.');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidArgument(field, 'A webhook URL may not carry credentials; use the channel secret.');
  }
  if (parsed.hash !== '') throw invalidArgument(field, 'A webhook URL may not have a fragment.');
  return url;
}

/**
 * Sends a notification to every channel of its rule, in order: a log channel's line at once, and
 * for each webhook channel a `webhook_delivery` job, which the job runner POSTs and retries with
 * backoff. Resolves with the jobs queued (for the alert's `deliveries`) once every channel was
 * handled; rejects when one could not be queued (the caller sends the notification again later).
 */
export function alertDispatcher(deps: AlertDispatchDeps): (n: AlertNotification) => Promise<AlertDelivery[]> {
  const log = new LogAlertChannel(deps.writeLine === undefined ? {} : { writeLine: deps.writeLine });
  return async (notification) => {
    const deliveries: AlertDelivery[] = [];
    for (const [channel, target] of notification.rule.channels.entries()) {
      if (target.kind === 'log') {
        log.write(notification);
        continue;
      }
      const job = await deps.submit(alertDeliveryPayload(notification, channel));
      deliveries.push({ event: notification.event, channel, jobId: job.id });
    }
    return deliveries;
  };
}

/**
 * The delivery job of one webhook channel's notification: the body fixed now, the secret named by
 * rule and channel (never copied into the job, which the jobs API shows) and read at each attempt.
 */
export function alertDeliveryPayload(
  notification: AlertNotification,
  channel: number,
): WebhookDeliveryPayload {
  const target = notification.rule.channels[channel];
  if (target?.kind !== 'webhook')
    throw new Error(`Channel ${channel} of rule ${notification.rule.id} is not a webhook.`);
  const { alert, rule, event } = notification;
  return {
    url: target.url,
    event: `alert.${event}`,
    // One per (alert, event), the same on every attempt; both are inside the signed body too.
    deliveryId: `${alert.id}.${event}`,
    body: JSON.stringify(alertWebhookPayload(notification)),
    ...(target.secret === undefined ? {} : { signing: { alertRule: rule.id, channel } }),
    alertId: alert.id,
  };
}

/** Writes one line per notification; it names the alert, rule and evidence, never a channel. */
export class LogAlertChannel {
  private readonly writeLine: (line: string) => void;

  constructor(deps: Pick<AlertDispatchDeps, 'writeLine'> = {}) {
    this.writeLine = deps.writeLine ?? ((line) => console.log(line));
  }

  /** Writes the line (never fails short of the writer throwing). */
  write(notification: AlertNotification): void {
    this.writeLine(formatAlertLine(notification));
  }
}

/** One log line; names are JSON-quoted so a rule name cannot forge further lines. */
export function formatAlertLine({ alert, rule, event }: AlertNotification): string {
  const evidence = alert.evidence.map(describeStatistic).join(', ');
  return (
    `alert ${event}: rule ${JSON.stringify(rule.name)} (${JSON.stringify(rule.id)}) ` +
    `severity=${alert.severity} monitor=${JSON.stringify(alert.monitorId)} alert=${JSON.stringify(alert.id)} ` +
    `run=${JSON.stringify(alert.lastRun)} evidence: ${evidence === '' ? 'none' : evidence}`
  );
}

/** `drift/wasserstein(age)=0.31>=0.1`. */
function describeStatistic(s: MonitorStatistic): string {
  const subject = s.column === undefined ? '' : `(${JSON.stringify(s.column)})`;
  const threshold = s.threshold === undefined ? '' : ` threshold=${s.threshold}`;
  return `${s.check}/${s.name}${subject}=${s.value}${threshold}`;
}

/** The JSON body of a webhook notification. */
export function alertWebhookPayload({ alert, rule, event }: AlertNotification): AlertWebhookPayload {
  // Earlier deliveries are the platform's bookkeeping, not part of what is announced.
  const { deliveries: _deliveries, ...announced } = alert;
  return {
    event,
    alert: announced,
    rule: { id: rule.id, name: rule.name, severity: rule.severity },
    monitor: { id: alert.monitorId },
  };
}
