/**
 * The compare page and the run page's artifacts browser in a real browser: Debian's Chromium,
 * headless, against a real platform on a socket, seeded through the SDK. Needs the UI built
 * (`npm run build`). Screenshots go to packages/ui/test-artifacts/.
 */
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { SlipwayClient } from '@slipway/sdk';
import { VIEWPORT, launchChromium, screenshot } from '../helpers/browser.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/** Three runs: baseline and tuned share the model and differ in lr; their loss curves differ in length. */
const SEEDS = [
  { name: 'baseline', lr: '0.1', model: 'gbm', rmse: 0.42, steps: 300, scale: 1 },
  { name: 'tuned', lr: '0.01', model: 'gbm', rmse: 0.31, steps: 400, scale: 0.8 },
  { name: 'linear', lr: '0.001', model: 'linear', rmse: 0.6, steps: 200, scale: 1.2 },
];
const CSV_ROWS = 500;
const LOG_BYTES = 400 * 1024;

let platform: TestPlatform;
let browser: Browser;
let page: Page;
let experimentId: string;
const runIds = new Map<string, string>();
const idOf = (name: string): string => runIds.get(name)!;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  const client = new SlipwayClient({ url: platform.url });
  experimentId = (await client.experiments.create({ name: 'compare-demo' })).experimentId;
  for (const seed of SEEDS) {
    const run = await client.runs.create({ experimentId, runName: seed.name, startTime: 1_764_000_000_000 });
    const loss = Array.from({ length: seed.steps }, (_, step) => ({
      key: 'loss',
      value: seed.scale / (1 + step / 50),
      step,
      timestamp: 1_764_000_000_000 + step * 1000,
    }));
    await client.runs.logBatch(run.info.runId, {
      params: { lr: seed.lr, model: seed.model, depth: '6' },
      metrics: [...loss, { key: 'rmse', value: seed.rmse, step: 0, timestamp: 1_764_000_500_000 }],
    });
    await client.runs.update(run.info.runId, { status: 'FINISHED', endTime: 1_764_000_600_000 });
    runIds.set(seed.name, run.info.runId);
  }
  const baseline = idOf('baseline');
  await client.artifacts.upload(baseline, 'README.txt', 'Baseline churn model: gradient boosting, lr 0.1.\n');
  await client.artifacts.upload(
    baseline,
    'model/MLmodel',
    'flavors:\n  python_function:\n    loader_module: slipway.onnx\nmodel_uuid: 5f1c\n',
  );
  await client.artifacts.upload(baseline, 'plots/loss.png', pngOf(64, 40));
  await client.artifacts.upload(
    baseline,
    'plots/diagram.svg',
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#2563eb"/></svg>',
  );
  const csv = ['id,label,score', ...Array.from({ length: CSV_ROWS }, (_, i) => `${i},${i % 2},"0.${i}"`)];
  await client.artifacts.upload(baseline, 'eval/predictions.csv', `${csv.join('\n')}\n`);
  const line = 'epoch 1 loss 0.4200 lr 0.1 ........................................\n';
  await client.artifacts.upload(baseline, 'logs/train.log', line.repeat(Math.ceil(LOG_BYTES / line.length)));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORT });
  // A missing element fails its test within seconds rather than at the test timeout.
  page.setDefaultTimeout(10_000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

describe('compare', () => {
  it('ticks two runs in the runs table and overlays their curves, one series per run', async () => {
    await page.goto(`${platform.url}/experiments/${experimentId}?sort=name:asc`);
    await page.locator('.run-count[data-complete="true"]').waitFor();
    const compare = page.getByRole('button', { name: /^Compare/ });
    expect(await compare.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'Select baseline' }).check();
    await page.getByRole('checkbox', { name: 'Select tuned' }).check();
    await screenshot(page, '20-runs-ticked');
    await compare.click();
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    const url = new URL(page.url());
    expect(url.pathname).toBe('/compare');
    expect(url.searchParams.get('runs')).toBe(`${idOf('baseline')},${idOf('tuned')}`);

    const chart = page.getByRole('figure', { name: 'Chart of loss' });
    const plot = chart.locator('.plot[data-state="ready"]');
    await plot.waitFor();
    expect(await plot.getAttribute('data-series')).toBe('2');
    // The longer run sets the x range: 400 steps, each a point of one run or both.
    expect(Number(await plot.getAttribute('data-points'))).toBe(400);
    const legend = chart.locator('.u-legend .u-series');
    expect(await legend.count()).toBe(3); // the x axis, then one entry per run
    expect(await chart.locator('.u-legend').textContent()).toMatch(/baseline.*tuned/);
    await screenshot(page, '21-compare');
  });

  it('marks the param that differs and hides the equal ones on request', async () => {
    const table = page.getByRole('table', { name: 'Param diff' });
    const row = (key: string) =>
      table.locator('tbody tr', { has: page.getByRole('rowheader', { name: key }) });
    expect(await row('lr').getAttribute('data-differs')).toBe('true');
    expect(await row('lr').textContent()).toContain('0.01');
    expect(await row('model').getAttribute('data-differs')).toBe('false');
    await scrollToTop(page.getByRole('heading', { name: 'Params' }));
    await screenshot(page, '22-compare-params');
    await page.getByRole('checkbox', { name: 'Only differences' }).check();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await row('lr').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('diff')).toBe('only');
  });

  it('scatters the chosen metric against the chosen param, one dot per run', async () => {
    await page.goto(`${platform.url}/compare?runs=${SEEDS.map((s) => idOf(s.name)).join(',')}`);
    await page.getByLabel('Metric', { exact: true }).selectOption('rmse');
    await page.getByLabel('Param', { exact: true }).selectOption('model');
    const scatter = page.getByRole('figure', { name: 'Scatter of rmse against model' });
    await expect.poll(() => scatter.locator('circle').count()).toBe(3);
    const titles = await scatter.locator('circle title').allTextContents();
    expect(titles).toContain('linear: model = linear, rmse = 0.6');
    expect(await scatter.locator('text').allTextContents()).toEqual(
      expect.arrayContaining(['gbm', 'linear']),
    );
    const url = new URL(page.url());
    expect([url.searchParams.get('metric'), url.searchParams.get('param')]).toEqual(['rmse', 'model']);
    await scrollToTop(page.getByRole('heading', { name: 'Metric against param' }));
    await screenshot(page, '23-compare-scatter');
  });

  it('asks for 2 to 20 runs, and shows the server message for an unknown one', async () => {
    await page.goto(`${platform.url}/compare?runs=${idOf('baseline')}`);
    expect(await page.locator('[data-state="empty"]').textContent()).toContain('Pick 2 to 20 runs');
    await page.goto(`${platform.url}/compare?runs=${idOf('baseline')},${'f'.repeat(32)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('NOT_FOUND');
  });
});

describe('artifacts browser', () => {
  const preview = () => page.getByRole('region', { name: 'Artifact preview' });
  const tree = () => page.getByRole('navigation', { name: 'Artifact files' });

  it('previews a text file', async () => {
    await page.goto(`${platform.url}/runs/${idOf('baseline')}`);
    // From the keyboard: the tree's entries are buttons in the tab order.
    await tree().getByRole('button', { name: 'README.txt' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => preview().locator('pre').textContent()).toContain('Baseline churn model');
    expect(new URL(page.url()).searchParams.get('artifact')).toBe('README.txt');
    await tree().getByRole('button', { name: 'model/' }).click();
    await tree().getByRole('button', { name: 'MLmodel' }).click();
    await expect.poll(() => preview().locator('pre').textContent()).toContain('loader_module: slipway.onnx');
    await scrollToTop(page.getByRole('heading', { name: 'Artifacts' }));
    await screenshot(page, '24-artifacts-text');
  });

  it('draws a PNG and an SVG from their bytes', async () => {
    await tree().getByRole('button', { name: 'plots/' }).click();
    await tree()
      .getByRole('button', { name: /^loss\.png/ })
      .click();
    const image = preview().getByRole('img', { name: 'loss.png' });
    await expect.poll(() => image.evaluate(naturalWidth)).toBe(64);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    await screenshot(page, '25-artifacts-image');
    await tree()
      .getByRole('button', { name: /^diagram\.svg/ })
      .click();
    const svg = preview().getByRole('img', { name: 'diagram.svg' });
    await expect.poll(() => svg.evaluate(naturalWidth)).toBe(120);
  });

  it('lays out a CSV as a table of its first rows, and keeps the choice across a reload', async () => {
    await tree().getByRole('button', { name: 'eval/' }).click();
    await tree()
      .getByRole('button', { name: /^predictions\.csv/ })
      .click();
    const table = preview().getByRole('table', { name: 'Table predictions.csv' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(200);
    expect(await table.locator('thead th').allTextContents()).toEqual(['id', 'label', 'score']);
    expect(await table.locator('tbody tr').nth(3).locator('td').allTextContents()).toEqual(['3', '1', '0.3']);
    expect(await preview().textContent()).toContain('The first 200 rows, 3 columns');
    await screenshot(page, '26-artifacts-table');

    await page.reload();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(200);
    expect(await tree().getByRole('button', { name: 'eval/' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('shows the start of a large text file and says it is partial', async () => {
    await tree().getByRole('button', { name: 'logs/' }).click();
    await tree()
      .getByRole('button', { name: /^train\.log/ })
      .click();
    const note = preview().locator('.preview-truncated');
    await note.waitFor();
    expect(await note.textContent()).toContain('Showing the first 256 KB of');
    const shown = await preview()
      .locator('pre')
      .evaluate((pre) => pre.textContent?.length ?? 0);
    expect(shown).toBe(256 * 1024);
    await scrollToTop(page.getByRole('heading', { name: 'Artifacts' }));
    await screenshot(page, '27-artifacts-truncated');
  });

  it('says when a run has no artifacts', async () => {
    await page.goto(`${platform.url}/runs/${idOf('tuned')}`);
    const section = page.locator('section.artifacts');
    await section.locator('[data-state="empty"]').waitFor();
    expect(await section.textContent()).toContain('No artifacts logged to this run');
  });
});

/** Scrolls the page so `target` is at the top of the viewport (for a screenshot of what follows it). */
async function scrollToTop(target: Locator): Promise<void> {
  await target.evaluate((element) => element.scrollIntoView({ block: 'start' }));
}

/** The width an `<img>` decoded its image at (0 while it has none); runs in the page. */
function naturalWidth(element: object): unknown {
  return 'naturalWidth' in element ? element.naturalWidth : undefined;
}

/** A real PNG of a colour gradient (RGB, 8 bits, no filter), so the browser has something to decode. */
function pngOf(width: number, height: number): Buffer {
  const rows = Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 255) / width, (y * 255) / height, 180], 1 + x * 3);
    return row;
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
