/**
 * Where alert notifications go: the server's log (one line) or a webhook (a signed JSON POST, the
 * registry webhooks' signature scheme, so one receiver verifies both). A channel sends once and
 * throws on failure; retrying is the caller's job (the job runner), so no retry loop lives here.
 * Secrets never appear in log lines or error messages, and neither does a URL's path or query,
 * since many webhook URLs (Slack's, for one) carry their credential there.
 */
import {
  SlipwayError,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  invalidArgument,
  type AlertChannel,
  type MonitorStatistic,
} from '@slipway/contracts';
import { DEFAULT_RETRY_POLICY, signWebhookPayload } from '../registry/webhook-signing.js';
import type { AlertEvent, AlertNotification } from './alert-rules.js';

/** Sends one notification; resolves once it was delivered, rejects when it was not. */
export interface AlertNotifier {
  notify(notification: AlertNotification): Promise<void>;
}

/** The fetch webhooks POST with (injected in tests). */
export type AlertFetch = (url: string, init: RequestInit) => Promise<Response>;

/** What the channels need; every field has a default. */
export interface AlertChannelDeps {
  /** Receives the log channel's lines (default: console.log). */
  writeLine?: (line: string) => void;
  fetch?: AlertFetch;
  /** ms since epoch, for the signature's timestamp. */
  now?: () => number;
  /** Per-request timeout (ms), response headers included (default 10 s). */
  timeoutMs?: number;
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
const USER_AGENT = 'Slipway-Alerts/1';

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

/** The notifier for one channel. */
export function notifierFor(channel: AlertChannel, deps: AlertChannelDeps = {}): AlertNotifier {
  return channel.kind === 'log' ? new LogAlertChannel(deps) : new WebhookAlertChannel(channel, deps);
}

/** Writes one line per notification; it names the alert, rule and evidence, never a channel. */
export class LogAlertChannel implements AlertNotifier {
  private readonly writeLine: (line: string) => void;

  constructor(deps: Pick<AlertChannelDeps, 'writeLine'> = {}) {
    this.writeLine = deps.writeLine ?? ((line) => console.log(line));
  }

  /** Writes the line (never fails short of the writer throwing). */
  async notify(notification: AlertNotification): Promise<void> {
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

/** POSTs the notification as signed JSON; throws UNAVAILABLE unless the receiver answers 2xx. */
export class WebhookAlertChannel implements AlertNotifier {
  private readonly url: string;
  private readonly secret: string | undefined;
  private readonly fetch: AlertFetch;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(channel: Extract<AlertChannel, { kind: 'webhook' }>, deps: AlertChannelDeps = {}) {
    this.url = channel.url;
    this.secret = channel.secret;
    this.fetch = deps.fetch ?? ((url, init) => fetch(url, init));
    this.now = deps.now ?? Date.now;
    this.timeoutMs = deps.timeoutMs ?? DEFAULT_RETRY_POLICY.timeoutMs;
  }

  /** Sends once; a rejection means not delivered (the caller may retry the same notification). */
  async notify(notification: AlertNotification): Promise<void> {
    // Checked again at send time: a stored URL may predate validation, and the check is cheap.
    validateAlertWebhookUrl(this.url, 'url');
    const body = JSON.stringify(alertWebhookPayload(notification));
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: this.headersFor(notification, body),
        body,
        // A redirect is a misconfigured endpoint: following it would POST the alert somewhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.unavailable(describeFailure(error, this.timeoutMs));
    }
    // The response body is not used; cancelling it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) {
      throw this.unavailable(`answered ${response.status}`, { statusCode: response.status });
    }
  }

  private headersFor({ alert, event }: AlertNotification, body: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [WEBHOOK_EVENT_HEADER]: `alert.${event}`,
      // One per (alert, event), the same on every retry; both are inside the signed body too.
      [WEBHOOK_DELIVERY_HEADER]: encodeURIComponent(`${alert.id}.${event}`),
      ...(this.secret === undefined
        ? {}
        : { [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(this.secret, body, this.now()) }),
    };
  }

  /** Names the target by origin only: the path or query may hold a credential. */
  private unavailable(reason: string, extra: Record<string, unknown> = {}): SlipwayError {
    const origin = new URL(this.url).origin;
    return new SlipwayError('UNAVAILABLE', `Alert webhook ${origin} ${reason}.`, { origin, ...extra });
  }
}

/** The JSON body of a webhook notification. */
export function alertWebhookPayload({ alert, rule, event }: AlertNotification): AlertWebhookPayload {
  return {
    event,
    alert,
    rule: { id: rule.id, name: rule.name, severity: rule.severity },
    monitor: { id: alert.monitorId },
  };
}

/** "timed out after 10000 ms", or fetch's message with its cause ("fetch failed: connect ECONNREFUSED ..."). */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `failed: ${error.message}${cause}`;
}
