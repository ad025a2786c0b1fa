/**
 * The endpoints and monitoring pages in a real browser: Debian's Chromium, headless, against a real
 * platform on a socket, seeded through the SDK. A real ONNX endpoint with a shadow serves traffic
 * whose column `b` has shifted from the reference while `a` has not (as in
 * monitoring/monitoring-e2e.test.ts), some predictions get labels, one request fails, and a monitor
 * run flags `b` and fires an alert. Needs the UI built (`npm run build`). Screenshots go to
 * packages/ui/test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SlipwayClient } from '@slipway/sdk';
import { VIEWPORT, launchChromium, screenshot } from '../helpers/browser.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const ROWS = 200;
const REQUESTS = 4;
const LABELLED = 30;

/** A deterministic spread in [-1, 1): the i-th of n evenly spaced points, shuffled by a stride. */
function spread(i: number, n: number): number {
  return (((i * 7919) % n) / n) * 2 - 1;
}

let platform: TestPlatform;
let browser: Browser;
let page: Page;

/** A query parameter of the page's address. */
function param(name: string): string | null {
  return new URL(page.url()).searchParams.get(name);
}

/** Registers a logistic classifier over (a, b) as the next version of `fraud`. */
async function registerVersion(client: SlipwayClient, weights: number[]): Promise<void> {
  const runId = (await client.runs.create({ experimentId: '0' })).info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(weights, 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
}

/** Polls until the log holds `rows` predictions of `arm`. */
async function waitForLog(client: SlipwayClient, arm: 'live' | 'shadow', rows: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (
    (await client.predictions.query('fraud', { arm, status: 'ok', limit: 1000 })).predictions.length < rows
  ) {
    if (Date.now() > deadline) throw new Error(`${arm} predictions never reached the log`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  const client = new SlipwayClient({ url: platform.url });
  await registerVersion(client, [1, -1]);
  // The shadow weighs b less, so it disagrees with the live model on part of the traffic.
  await registerVersion(client, [1, -0.2]);
  await client.endpoints.create({
    name: 'fraud',
    model: { name: 'fraud', version: '1' },
    shadows: [{ name: 'fraud', version: '2' }],
  });
  await client.monitors.putReferenceProfile(
    'fraud',
    '1',
    Array.from({ length: ROWS }, (_, i) => ({ a: spread(i, ROWS), b: spread(i + 1, ROWS) })),
  );
  // Live traffic: `a` as in the reference, `b` shifted by +3, in a few requests, plus one refused.
  const live = Array.from({ length: ROWS }, (_, i) => ({ a: spread(i + 3, ROWS), b: spread(i, ROWS) + 3 }));
  const perRequest = ROWS / REQUESTS;
  const ids: string[] = [];
  for (let r = 0; r < REQUESTS; r++) {
    ids.push(
      ...(await client.endpoints.predict('fraud', live.slice(r * perRequest, (r + 1) * perRequest)))
        .prediction_ids,
    );
  }
  await expect(client.endpoints.predict('fraud', [{ a: 'not a number', b: 1 }])).rejects.toThrow();
  await waitForLog(client, 'live', ROWS);
  await waitForLog(client, 'shadow', ROWS);
  await client.predictions.submitLabels(
    'fraud',
    ids.slice(-LABELLED).map((predictionId, i) => ({ predictionId, label: i % 2 })),
  );

  const monitor = await client.monitors.create({
    name: 'fraud-drift',
    endpoint: 'fraud',
    reference: { model: 'fraud', version: '1' },
    checks: {
      drift: {},
      dataQuality: {},
      service: { minRequests: 1 },
      performance: { predictionField: 'label', metric: 'mae' },
    },
    window: { kind: 'rolling', durationMs: 3_600_000 },
  });
  await client.monitors.addRule(monitor.name, {
    name: 'drift',
    severity: 'critical',
    match: { check: 'drift', name: 'ks' },
    cooldownMs: 0,
  });
  // Two runs: the heat map has a column per run.
  const first = await client.monitors.run(monitor.name);
  await client.monitors.run(monitor.name);
  // The shadow mirrors every request: the window is what callers were answered, counted once.
  expect(first.rows).toBe(ROWS);
  expect(first.statistics.find((s) => s.check === 'service' && s.name === 'requests')?.value).toBe(ROWS + 1);

  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORT });
  // A missing element fails its test within seconds rather than at the test timeout.
  page.setDefaultTimeout(10_000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

describe('endpoints', () => {
  it('lists the endpoint with what it serves and its shadow', async () => {
    await page.goto(`${platform.url}/endpoints`);
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    const row = page.locator('.endpoints-table tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('fraud v1');
    expect(text).toContain('fraud v2');
    await screenshot(page, '20-endpoints');
  });

  it('shows traffic, the split, shadow agreement and recent predictions with their labels', async () => {
    await page.getByRole('link', { name: 'fraud', exact: true }).click();
    await page.getByRole('heading', { name: 'fraud', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/endpoints/fraud');
    const totals = page.locator('.traffic-totals');
    await totals.waitFor();
    expect(await totals.getAttribute('data-served')).toBe(String(ROWS));
    expect(await totals.getAttribute('data-failed')).toBe('1');
    for (const title of ['Requests per second', 'Errors', 'Latency']) {
      await page.getByRole('figure', { name: title }).locator('.plot[data-state="ready"]').waitFor();
    }
    const served = page.locator('.split-served tbody tr');
    await expect.poll(() => served.count()).toBe(2);
    expect(await served.allTextContents()).toEqual([
      expect.stringMatching(/live.*v1.*200.*100%/),
      expect.stringMatching(/shadow.*v2.*200.*100%/),
    ]);
    const agreement = page.locator('.agreement-table tbody tr');
    await agreement.waitFor();
    expect(await agreement.textContent()).toContain(String(ROWS));
    const labels = page.locator('.predictions-table .prediction-label strong');
    await expect.poll(() => labels.count()).toBeGreaterThan(0);
    await screenshot(page, '21-endpoint');
    await page.locator('#split-heading').evaluate((heading) => heading.scrollIntoView());
    await screenshot(page, '22-endpoint-predictions');

    // A shadow takes the label of the prediction it shadowed, so the live arm alone has LABELLED.
    // The controls are driven by the URL, which the router updates in a transition: wait for it
    // rather than for the control itself.
    await page.getByLabel('Arm').selectOption('live');
    await expect.poll(() => param('arm')).toBe('live');
    await page.getByLabel('Only labelled').click();
    await expect.poll(() => param('labelled')).toBe('true');
    expect(await page.getByLabel('Only labelled').isChecked()).toBe(true);
    const rows = page.locator('.predictions-table tbody tr');
    await expect.poll(() => rows.count()).toBe(LABELLED);
    expect(await labels.count()).toBe(LABELLED);
    await page.locator('#recent-heading').evaluate((heading) => heading.scrollIntoView());
    await screenshot(page, '23-endpoint-labelled');
  });

  it("shows the server's message for an unknown endpoint", async () => {
    await page.goto(`${platform.url}/endpoints/nope`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('NOT_FOUND');
  });
});

describe('monitoring', () => {
  it('draws the drift heat map with a row per column, b drifted in every run and a not', async () => {
    await page.goto(`${platform.url}/endpoints/fraud`);
    await page.getByRole('link', { name: 'Monitoring' }).click();
    await page.getByRole('heading', { name: 'Monitoring of fraud' }).waitFor();
    const map = page.locator('.heatmap');
    await map.waitFor();
    expect(await map.getAttribute('data-columns')).toBe('2');
    expect(await map.getAttribute('data-runs')).toBe('2');
    const cells = (column: string) =>
      page.locator('.heatmap tbody tr', { has: page.getByRole('rowheader', { name: column }) }).locator('td');
    expect(await cells('b').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-flagged')))).toEqual([
      'true',
      'true',
    ]);
    expect(await cells('a').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-flagged')))).toEqual([
      'false',
      'false',
    ]);
    const quality = page.locator('.checks-table').first();
    expect(await quality.textContent()).toContain('out_of_range_share');
    await page.getByRole('figure', { name: 'mae of label' }).locator('.plot[data-state="ready"]').waitFor();
    await screenshot(page, '24-monitoring');
    await page.locator('#service-heading').evaluate((heading) => heading.scrollIntoView());
    await screenshot(page, '25-monitoring-performance');

    await page.getByLabel('statistic', { exact: true }).click();
    await expect.poll(() => param('figure')).toBe('value');
    // KS D is 1 for b: no value of the shifted window lies in the reference's range. Polled: the
    // URL changes before the cells are drawn again with the new figure.
    await expect.poll(() => cells('b').first().textContent()).toBe('1');
  });

  it('links a drift alert to its column page, which shows the reference and current histograms', async () => {
    const alerts = page.locator('.alerts-table tbody tr');
    await expect.poll(() => alerts.count()).toBe(1);
    expect(await alerts.textContent()).toContain('firing');
    await page.getByRole('link', { name: 'Column b of the alert' }).click();
    await page.getByRole('heading', { name: 'Column b' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/endpoints/fraud/monitoring/columns/b');
    expect(await page.locator('.drift-verdict').getAttribute('data-flagged')).toBe('true');
    for (const side of ['Reference', 'Current']) {
      const histogram = page.getByRole('figure', { name: `${side} histogram of b` });
      await histogram.waitFor();
      expect(await histogram.locator('.histogram-bar').count()).toBeGreaterThan(10);
    }
    // Every current value lies above the reference's largest: all of it is in the overflow bin.
    const lastBar = page
      .getByRole('figure', { name: 'Current histogram of b' })
      .locator('.histogram-bar title')
      .last();
    expect(await lastBar.textContent()).toMatch(/^> .*: 100\.0%$/);
    await page.getByRole('figure', { name: 'ks of b' }).locator('.plot[data-state="ready"]').waitFor();
    await screenshot(page, '26-column');
  });
});
