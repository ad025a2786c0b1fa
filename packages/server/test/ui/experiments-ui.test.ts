/**
 * The web UI in a real browser: Debian's Chromium, headless, against a real platform on a socket,
 * seeded through the SDK. Needs the UI built (`npm run build`). Screenshots of each page go to
 * packages/ui/test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SlipwayClient } from '@slipway/sdk';
import { VIEWPORT, launchChromium, screenshot } from '../helpers/browser.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const RUNS = 40;
const HISTORY = 3000;
const MODELS = ['gbm', 'linear', 'forest'];

/** Seeded runs: rmse spreads over [0.2, 1.2) so a threshold splits them at a known count. */
const seeds = Array.from({ length: RUNS }, (_, i) => ({
  name: `run-${String(i).padStart(2, '0')}`,
  rmse: 0.2 + ((i * 37) % RUNS) / RUNS,
  model: MODELS[i % MODELS.length]!,
  lr: String([0.1, 0.01, 0.001][i % 3]),
}));

let platform: TestPlatform;
let browser: Browser;
let page: Page;
let experimentId: string;
let chartRunId: string;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  const client = new SlipwayClient({ url: platform.url });
  experimentId = (await client.experiments.create({ name: 'churn-model', tags: { team: 'growth' } }))
    .experimentId;
  await client.experiments.create({ name: 'fraud-detection' });
  for (const seed of seeds) {
    const run = await client.runs.create({ experimentId, runName: seed.name, startTime: 1_764_000_000_000 });
    await client.runs.logBatch(run.info.runId, {
      params: { model: seed.model, lr: seed.lr },
      metrics: [
        { key: 'rmse', value: seed.rmse, step: 0, timestamp: 1_764_000_100_000 },
        { key: 'mae', value: seed.rmse * 0.8, step: 0, timestamp: 1_764_000_100_000 },
      ],
    });
    await client.runs.update(run.info.runId, { status: 'FINISHED', endTime: 1_764_000_200_000 });
    if (seed.name === 'run-00') chartRunId = run.info.runId;
  }
  // A long loss curve with one spike, which the chart must still show after downsampling.
  for (let start = 0; start < HISTORY; start += 1000) {
    const metrics = Array.from({ length: 1000 }, (_, i) => {
      const step = start + i;
      return {
        key: 'loss',
        value: step === 1500 ? 9 : 2 / (1 + step / 100),
        step,
        timestamp: 1_764_000_000_000 + step * 1000,
      };
    });
    await client.runs.logBatch(chartRunId, { metrics });
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORT });
  // A missing element fails its test within seconds rather than at the test timeout.
  page.setDefaultTimeout(10_000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The sort button in the header of a column. */
const sortButton = (label: string) =>
  page.getByRole('columnheader', { name: label, exact: true }).getByRole('button');

/** The runs the table says it holds, once every page has loaded. */
async function loadedRunCount(): Promise<number> {
  const count = page.locator('.run-count[data-complete="true"]');
  await count.waitFor();
  return Number(await count.getAttribute('data-count'));
}

describe('experiments', () => {
  it('lists the experiments and narrows them by search', async () => {
    await page.goto(`${platform.url}/`);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/experiments');
    const table = page.locator('.experiments-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3); // with the Default experiment
    await screenshot(page, '01-experiments');
    await page.getByLabel('Search').fill('FRAUD');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tbody tr').first().textContent()).toContain('fraud-detection');
    expect(new URL(page.url()).searchParams.get('q')).toBe('FRAUD');
  });

  it('shows every run of an experiment, then the ones the MLflow filter keeps', async () => {
    await page.goto(`${platform.url}/experiments`);
    await page.getByRole('link', { name: 'churn-model' }).click();
    await page.getByRole('heading', { name: 'churn-model' }).waitFor();
    expect(await loadedRunCount()).toBe(RUNS);
    await screenshot(page, '02-runs');

    await page.getByLabel('Filter').fill('metrics.rmse < 0.5');
    await page.getByLabel('Filter').press('Enter');
    await page.locator('.run-count', { hasText: 'matching the filter' }).waitFor();
    const expected = seeds.filter((s) => s.rmse < 0.5).length;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(RUNS);
    expect(await loadedRunCount()).toBe(expected);
    const names = await page.locator('.runs-body [role="row"] [role="cell"]:first-child').allTextContents();
    expect(names.sort()).toEqual(
      seeds
        .filter((s) => s.rmse < 0.5)
        .map((s) => s.name)
        .sort(),
    );
    await screenshot(page, '03-runs-filtered');
  });

  it('sorts by a metric column from its header, and keeps filter and sort across a reload', async () => {
    await sortButton('rmse').click();
    const firstName = (): Promise<string | null> =>
      page.locator('.runs-body [role="row"]').first().locator('[role="cell"]').first().textContent();
    const ascending = seeds.filter((s) => s.rmse < 0.5).sort((a, b) => a.rmse - b.rmse);
    await expect.poll(firstName).toBe(ascending[0]!.name);
    await sortButton('rmse').click();
    await expect.poll(firstName).toBe(ascending[ascending.length - 1]!.name);
    const url = new URL(page.url());
    expect(url.searchParams.get('filter')).toBe('metrics.rmse < 0.5');
    expect(url.searchParams.get('sort')).toBe('metrics.rmse:desc');

    await page.reload();
    expect(await loadedRunCount()).toBe(ascending.length);
    await expect.poll(firstName).toBe(ascending[ascending.length - 1]!.name);
    expect(await page.getByLabel('Filter').inputValue()).toBe('metrics.rmse < 0.5');
  });

  it("shows the server's message for a filter it cannot parse", async () => {
    await page.getByLabel('Filter').fill('metrics.rmse <<< 1');
    await page.getByLabel('Filter').press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('INVALID_ARGUMENT');
    await screenshot(page, '04-runs-bad-filter');
  });

  it('hides and shows columns with the column chooser', async () => {
    await page.goto(`${platform.url}/experiments/${experimentId}`);
    await loadedRunCount();
    const header = page.locator('.runs-header');
    expect(await header.textContent()).toContain('mae');
    await page.getByText(/^Columns/).click();
    await page.getByRole('checkbox', { name: 'mae' }).uncheck();
    expect(await header.textContent()).not.toContain('mae');
    await page.getByRole('checkbox', { name: 'User' }).check();
    expect(await header.textContent()).toContain('User');
    await screenshot(page, '05-column-chooser');
    await page.getByText(/^Columns/).click();
  });
});

describe('run page', () => {
  it("shows a run's params, tags and a chart of its downsampled history with the spike", async () => {
    await page.goto(`${platform.url}/experiments/${experimentId}?sort=name:asc`);
    await page.getByRole('link', { name: 'run-00' }).click();
    await page.getByRole('heading', { name: 'run-00' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${chartRunId}`);
    const chart = page.getByRole('figure', { name: 'Chart of loss' });
    await chart.locator('.plot[data-state="ready"]').waitFor();
    const summary = await chart.locator('.chart-summary').textContent();
    expect(summary).toContain(`${HISTORY.toLocaleString()} points in`);
    expect(summary).toContain('max 9');
    const points = Number(await chart.locator('.plot').getAttribute('data-points'));
    expect(points).toBeGreaterThan(100);
    expect(points).toBeLessThan(HISTORY);
    const params = page.getByRole('region', { name: 'Params' });
    expect(await params.textContent()).toContain('gbm');
    await screenshot(page, '06-run');
  });

  it('smooths and switches to a time axis through the URL, which survives a reload', async () => {
    await page.getByLabel('X axis').selectOption('time');
    await page.getByLabel('Smoothing').fill('0.8');
    const chart = page.getByRole('figure', { name: 'Chart of loss' });
    await chart.locator('.plot[data-state="ready"]').waitFor();
    await expect.poll(() => chart.locator('.u-legend').textContent()).toContain('smoothed');
    const url = new URL(page.url());
    expect(url.searchParams.get('axis')).toBe('time');
    expect(url.searchParams.get('smoothing')).toBe('0.8');
    await page.reload();
    await chart.locator('.plot[data-state="ready"]').waitFor();
    expect(await page.getByLabel('X axis').inputValue()).toBe('time');
    expect(await chart.locator('.u-legend').textContent()).toContain('smoothed');
    await screenshot(page, '07-run-time-smoothed');
  });

  it('zooms into a range by dragging, fetching it at full detail', async () => {
    await page.goto(`${platform.url}/runs/${chartRunId}`);
    const chart = page.getByRole('figure', { name: 'Chart of loss' });
    await chart.locator('.plot[data-state="ready"]').waitFor();
    const over = await chart.locator('.u-over').boundingBox();
    if (over === null) throw new Error('the chart has no plot area');
    const y = over.y + over.height / 2;
    await page.mouse.move(over.x + over.width * 0.45, y);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.55, y, { steps: 5 });
    await page.mouse.up();
    await chart.getByRole('button', { name: 'Reset zoom' }).waitFor();
    await expect.poll(() => chart.locator('.chart-summary').textContent()).not.toContain('buckets');
    expect(await chart.locator('.chart-summary').textContent()).toContain('max 9');
    await screenshot(page, '08-run-zoomed');
    await chart.getByRole('button', { name: 'Reset zoom' }).click();
    await expect.poll(() => chart.locator('.chart-summary').textContent()).toContain('buckets');
  });

  it('explains an unknown run with the server message, and an unknown page', async () => {
    await page.goto(`${platform.url}/runs/${'f'.repeat(32)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('NOT_FOUND');
    await page.goto(`${platform.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
});
