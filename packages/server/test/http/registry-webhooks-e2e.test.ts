/**
 * The whole webhook path through a real platform: an MLflow-client-style registry call commits an
 * event, the platform's own dispatcher delivers it, signed, to a real HTTP receiver on loopback, and
 * the delivery log shows it.
 */
import { WEBHOOK_EVENT_HEADER, WEBHOOK_SIGNATURE_HEADER } from '@slipway/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/registry/webhook-signing.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';
import { WebhookReceiver } from '../registry/webhook-receiver.js';

interface DeliveryPage {
  deliveries: { status: string }[];
}

let platform: TestPlatform;
let receiver: WebhookReceiver;

beforeAll(async () => {
  platform = await startTestPlatform();
  receiver = await WebhookReceiver.start();
});

afterAll(async () => {
  await platform.close();
  await receiver.close();
});

async function call(
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
): Promise<unknown> {
  const res = await platform.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

describe('registry webhooks end to end', () => {
  it('delivers alias moves made through the MLflow API, signed, and logs the delivery', async () => {
    const created = (await call('POST', '/api/v1/webhooks', {
      url: `${receiver.url}/hooks/registry`,
      events: ['alias.set'],
      modelName: 'fraud',
    })) as { webhook: { id: string }; secret: string };

    await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud' });
    await call('POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'fraud',
      source: 's3://bucket/fraud/1',
    });
    await call('POST', '/api/2.0/mlflow/registered-models/alias', {
      name: 'fraud',
      alias: 'champion',
      version: '1',
    });

    await receiver.waitForRequests(1);
    const [request] = receiver.requests;
    expect(request?.path).toBe('/hooks/registry');
    expect(request?.headers[WEBHOOK_EVENT_HEADER]).toBe('alias.set');
    const signature = String(request?.headers[WEBHOOK_SIGNATURE_HEADER]);
    expect(verifyWebhookSignature(created.secret, signature, request?.body ?? '', Date.now())).toBe(true);
    expect(
      verifyWebhookSignature('whsec_wrong_secret_value', signature, request?.body ?? '', Date.now()),
    ).toBe(false);
    const body = JSON.parse(request?.body ?? '{}') as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('alias.set');
    expect(body.data).toMatchObject({ modelName: 'fraud', alias: 'champion', toVersion: '1' });

    await expect
      .poll(async () => {
        const page = (await call('GET', `/api/v1/webhooks/${created.webhook.id}/deliveries`)) as DeliveryPage;
        return page.deliveries.map((d) => d.status);
      })
      .toEqual(['succeeded']);
    // Only alias.set on fraud was subscribed: model and version creation were not delivered.
    expect(receiver.requests).toHaveLength(1);
  });
});
