/**
 * The executor of webhook delivery jobs: one partition whose attempt is one signed POST. A 2xx
 * commits the receipt (status, attempt, time) as the partition's only chunk; 410 Gone fails the job
 * at once (the receiver says the endpoint is gone); anything else, a timeout or a refused connection
 * throws UNAVAILABLE, which the runner retries with the kind's backoff until its attempts are used
 * up. The signature is computed at send time with the secret as it is then, so a retry an hour
 * later carries a fresh timestamp and a rotated secret. Errors name the target's origin only: a
 * webhook URL's path or query often holds a credential.
 */
import {
  SlipwayError,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  type JobDetails,
  type WebhookDeliveryResult,
  type WebhookSigning,
} from '@slipway/contracts';
import { validateAlertWebhookUrl } from '../monitoring/alert-channels.js';
import { signWebhookPayload } from '../registry/webhook-signing.js';
import type { JobExecutor, PartitionAttempt } from './job-executor.js';
import type { CommittedChunk } from './job-store.js';

/** The fetch deliveries POST with (injected in tests). */
export type DeliveryFetch = (url: string, init: RequestInit) => Promise<Response>;

/** What the webhook delivery executor needs. */
export interface WebhookDeliveryExecutorDeps {
  /** The signing secret a payload points at, as it is now; undefined when it no longer exists. */
  secretOf: (signing: WebhookSigning) => Promise<string | undefined>;
  fetch?: DeliveryFetch;
  now?: () => number;
}

const ALERT_USER_AGENT = 'Slipway-Alerts/1';
const USER_AGENT = 'Slipway-Webhooks/1';

/** Runs webhook delivery jobs. */
export class WebhookDeliveryExecutor implements JobExecutor {
  private readonly fetch: DeliveryFetch;
  private readonly now: () => number;

  constructor(private readonly deps: WebhookDeliveryExecutorDeps) {
    this.fetch = deps.fetch ?? ((url, init) => fetch(url, init));
    this.now = deps.now ?? Date.now;
  }

  /** Sends once; resolves 'done' once the receiver answered 2xx and the receipt is committed. */
  async runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'> {
    const { job, partition } = attempt;
    if (job.kind !== 'webhook_delivery') throw new Error(`Not a webhook delivery job: ${job.kind}`);
    // A redelivery after the receipt was committed has nothing left to send.
    if (partition.committedChunks > 0) return 'done';
    const payload = job.payload;
    const url = validateAlertWebhookUrl(payload.url, 'url');
    const origin = new URL(url).origin;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': payload.alertId === undefined ? USER_AGENT : ALERT_USER_AGENT,
      [WEBHOOK_EVENT_HEADER]: payload.event,
      [WEBHOOK_DELIVERY_HEADER]: encodeURIComponent(payload.deliveryId),
    };
    if (payload.signing !== undefined) {
      const secret = await this.deps.secretOf(payload.signing);
      if (secret === undefined) {
        throw new SlipwayError(
          'FAILED_PRECONDITION',
          `The secret of channel ${payload.signing.channel} of alert rule ${payload.signing.alertRule} no longer exists.`,
          { field: 'signing' },
        );
      }
      headers[WEBHOOK_SIGNATURE_HEADER] = signWebhookPayload(secret, payload.body, this.now());
    }
    const sentAt = this.now();
    const statusCode = await this.post(url, origin, headers, payload.body, attempt.signal);
    const receipt: WebhookDeliveryResult = { statusCode, attempt: partition.attempts, deliveredAt: sentAt };
    const outcome = await attempt.commit({ chunk: 0, rows: 1, rejected: 0, file: JSON.stringify(receipt) });
    return outcome.held && !outcome.cancelRequested ? 'done' : 'stopped';
  }

  /** The receipt the partition committed. */
  async finalize(_job: JobDetails, chunks: readonly CommittedChunk[]): Promise<WebhookDeliveryResult> {
    const file = chunks[0]?.file;
    if (file === undefined) throw new Error('The webhook delivery job committed no receipt.');
    return JSON.parse(file) as WebhookDeliveryResult;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  /** POSTs and answers the 2xx status; throws for every other outcome. */
  private async post(
    url: string,
    origin: string,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<number> {
    let response: Response;
    try {
      // A redirect is a misconfigured endpoint: following it would POST the body somewhere else.
      response = await this.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    } catch (error) {
      // An aborted signal (timeout, cancel, lost lease) is the runner's to describe.
      if (signal.aborted) throw signal.reason;
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      const message = error instanceof Error ? error.message : String(error);
      throw new SlipwayError('UNAVAILABLE', `Webhook ${origin} failed: ${message}${cause}.`, { origin });
    }
    // The response body is not used; cancelling it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status >= 200 && status < 300) return status;
    if (status === 410) {
      throw new SlipwayError('FAILED_PRECONDITION', `Webhook ${origin} answered 410 Gone; not retried.`, {
        origin,
        statusCode: status,
      });
    }
    throw new SlipwayError('UNAVAILABLE', `Webhook ${origin} answered ${status}.`, {
      origin,
      statusCode: status,
    });
  }
}
