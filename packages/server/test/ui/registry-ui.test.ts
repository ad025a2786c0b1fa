/**
 * The registry pages in a real browser: Debian's Chromium, headless, against a real platform on a
 * socket, seeded through the SDK with a model of two rules versions whose contracts differ, a
 * constant baseline, a gated promotion that moved @champion from v1 to v2 and a failed gate.
 * Needs the UI built (`npm run build`). Screenshots go to packages/ui/test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ModelContract } from '@slipway/contracts';
import { SlipwayClient } from '@slipway/sdk';
import { VIEWPORT, launchChromium, screenshot } from '../helpers/browser.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/**
 * 100 customers with tenure 0..99 months; churned when tenure < 12, plus two late churners. So the
 * rule `tenure < 12` scores accuracy 0.98, `tenure < 6` 0.92 and the constant "never churns" 0.86.
 */
const HOLDOUT_CSV =
  'tenure,churned\n' +
  Array.from({ length: 100 }, (_, t) => `${t},${t < 12 || t === 50 || t === 75 ? 1 : 0}`).join('\n') +
  '\n';

const OUTPUTS: ModelContract['outputs'] = {
  kind: 'columns',
  fields: [{ name: 'prediction', type: 'int64', nullable: false, meaning: 'churns within a month' }],
};
/** v1 takes tenure as a float32 up to 120; v2 widens it to any float64 ≥ 0 and accepts an optional plan. */
const CONTRACT_V1: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [{ name: 'tenure', type: 'float32', nullable: false, range: { min: 0, max: 120 } }],
  },
  outputs: OUTPUTS,
  source: 'declared',
};
const CONTRACT_V2: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'tenure', type: 'float64', nullable: false, range: { min: 0 } },
      { name: 'plan', type: 'string', nullable: true, categories: ['basic', 'pro'] },
    ],
  },
  outputs: OUTPUTS,
  source: 'declared',
};

let platform: TestPlatform;
let browser: Browser;
let page: Page;
let promotionEvaluationId: string;
let failedEvaluationId: string;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  const client = new SlipwayClient({ url: platform.url });
  const run = await client.runs.create({ experimentId: '0', runName: 'holdout-data' });
  await client.artifacts.upload(run.info.runId, 'datasets/holdout.csv', HOLDOUT_CSV);
  const holdout = `runs:/${run.info.runId}/datasets/holdout.csv`;

  await client.baselines.create({
    name: 'churn-constant',
    fit: { kind: 'constant', task: 'binary', labelColumn: 'churned', dataset: { uri: holdout } },
    description: 'Predicts the majority class',
  });
  await client.models.create({ name: 'churn', description: 'Monthly churn, rules models' });
  for (const [limit, contract] of [
    [6, CONTRACT_V1],
    [12, CONTRACT_V2],
  ] as const) {
    await client.baselines.create({
      name: 'churn',
      spec: { kind: 'rules', rules: [{ when: `tenure < ${limit}`, then: 1 }], default: 0 },
      contract,
    });
  }
  await client.models.setAlias('churn', 'champion', 1, { reason: 'first release' });
  await client.models.setAlias('churn', 'challenger', 2);
  await client.models.setEvaluationPolicy('churn', {
    task: 'binary',
    labelColumn: 'churned',
    predictionField: 'prediction',
    dataset: { uri: holdout },
    baseline: { name: 'churn-constant', version: '1' },
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.02 } },
  });
  const promoted = await client.models.promote('churn', 2, {
    alias: 'champion',
    reason: 'beats the constant baseline',
  });
  promotionEvaluationId = promoted.evaluation.id;
  const failed = await client.evaluations.create({
    task: 'binary',
    labelColumn: 'churned',
    predictionField: 'prediction',
    dataset: { uri: holdout },
    models: [
      { name: 'churn', version: '1' },
      { name: 'churn-constant', version: '1', role: 'baseline' },
    ],
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.1 } },
  });
  failedEvaluationId = failed.id;

  browser = await launchChromium();
  page = await browser.newPage({ viewport: VIEWPORT });
  // A missing element fails its test within seconds rather than at the test timeout.
  page.setDefaultTimeout(10_000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

/** The text of each body row of the table in `section`, cells joined by `|`. */
async function rowsOf(section: string, table: string): Promise<string[]> {
  const rows = page.getByRole('region', { name: section }).locator(`${table} tbody tr`);
  await rows.first().waitFor();
  return rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((td) => (td.textContent ?? '').trim()).join('|')),
  );
}

describe('models list', () => {
  it('lists the models with latest version and aliases, and narrows them by search', async () => {
    await page.goto(`${platform.url}/experiments`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    const rows = page.locator('.models-table tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const churn = await rows.filter({ hasText: 'Monthly churn' }).textContent();
    expect(churn).toContain('v2');
    expect(churn).toContain('@champion → v2');
    expect(churn).toContain('@challenger → v2');
    await screenshot(page, 'registry-01-models');

    await page.getByLabel('Search').fill('CONSTANT');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('churn-constant');
    expect(new URL(page.url()).searchParams.get('q')).toBe('CONSTANT');
  });
});

describe('model page', () => {
  it('shows the versions with their aliases and the latest version selected with its contract', async () => {
    await page.goto(`${platform.url}/models`);
    await page.getByRole('link', { name: 'churn', exact: true }).click();
    await page.getByRole('heading', { name: 'churn', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/models/churn');
    const versions = await rowsOf('Versions', '.versions-table');
    expect(versions).toHaveLength(2);
    expect(versions[0]).toMatch(/^v2\|.*\|Ready\|@challenger@champion$/);
    expect(versions[1]).toMatch(/^v1\|.*\|Ready\|$/);
    await page.getByRole('heading', { name: 'Version 2' }).waitFor();
    const inputs = page.getByRole('table', { name: 'Inputs schema' });
    await inputs.waitFor();
    const fields = await inputs.locator('tbody tr').allTextContents();
    expect(fields).toEqual(['tenurefloat64required≥ 0', 'planstringoptionalone of basic, pro']);
    await screenshot(page, 'registry-02-model');
  });

  it('deep-links a version, whose contract is its own', async () => {
    await page.getByRole('region', { name: 'Versions' }).getByRole('link', { name: 'v1' }).click();
    await page.getByRole('heading', { name: 'Version 1' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/models/churn/versions/1');
    const inputs = page.getByRole('table', { name: 'Inputs schema' });
    await expect
      .poll(() => inputs.locator('tbody tr').allTextContents())
      .toEqual(['tenurefloat32required0 to 120']);
    await page.reload();
    await page.getByRole('heading', { name: 'Version 1' }).waitFor();
    expect(await page.locator('.versions-table .selected-row').textContent()).toMatch(/^v1/);
  });

  it('diffs the two contracts: tenure widened and plan added, all compatible', async () => {
    await page.goto(`${platform.url}/models/churn`);
    const diff = page.getByRole('region', { name: 'Contract diff' });
    await diff.locator('.contract-diff').waitFor();
    expect(await diff.getByLabel('From').inputValue()).toBe('1');
    expect(await diff.getByLabel('To').inputValue()).toBe('2');
    expect(await diff.locator('.verdict-line').textContent()).toContain('Compatible (backward)');
    const changes = await rowsOf('Contract diff', '.diff-table');
    expect(changes.map((c) => c.split('|').slice(0, 4).join('|')).sort()).toEqual([
      'inputs|plan|field added|compatible',
      'inputs|tenure|range widened|compatible',
      'inputs|tenure|type widened|compatible',
    ]);

    // The other way round, v1's narrower tenure cannot serve v2's callers.
    await diff.getByLabel('From').selectOption('2');
    await diff.getByLabel('To').selectOption('1');
    await expect.poll(() => diff.locator('.verdict-line').textContent()).toContain('Breaking');
    expect(new URL(page.url()).searchParams.get('from')).toBe('2');
    expect(await diff.locator('.breaking-row').allTextContents()).toEqual([
      expect.stringContaining('type narrowed'),
      expect.stringContaining('range narrowed'),
    ]);
    await diff.evaluate((section) => section.scrollIntoView());
    await screenshot(page, 'registry-03-contract-diff-breaking');
  });

  it('shows the evaluations with each verdict, and the chosen one side by side with its baseline', async () => {
    await page.goto(`${platform.url}/models/churn`);
    const section = page.getByRole('region', { name: 'Evaluations' });
    const list = await rowsOf('Evaluations', '.evaluations-table');
    expect(list).toHaveLength(2);
    // Newest first: the failed gate on v1 (margin 0.1), then the promotion of v2.
    expect(list[0]).toMatch(/\|churn\/1\|churn-constant\/1\|accuracy\|0\.92\|0\.86\|\+0\.06\|fail\|$/);
    expect(list[1]).toMatch(
      /\|churn\/2\|churn-constant\/1\|accuracy\|0\.98\|0\.86\|\+0\.12\|pass\|@champion: promoted$/,
    );
    const shown = section.locator('.evaluation');
    expect(await shown.getAttribute('data-evaluation-id')).toBe(failedEvaluationId);
    expect(await shown.locator('.gate-verdict').getAttribute('data-passed')).toBe('false');
    expect(await shown.locator('.verdict-reasons').textContent()).toMatch(/fail: accuracy/);

    await section.locator('.evaluations-table tbody tr').nth(1).getByRole('link').click();
    await expect.poll(() => shown.getAttribute('data-evaluation-id')).toBe(promotionEvaluationId);
    expect(new URL(page.url()).searchParams.get('evaluation')).toBe(promotionEvaluationId);
    const verdict = shown.locator('.gate-verdict');
    expect(await verdict.getAttribute('data-passed')).toBe('true');
    expect(await verdict.textContent()).toContain('Gate passed');
    expect(await verdict.textContent()).toContain('Margin +0.02 absolute');
    const accuracy = shown.getByRole('table', { name: 'Metrics side by side' }).locator('tr.gated-row');
    expect(
      await accuracy.locator('th, td').evaluateAll((cells) => cells.map((c) => c.textContent?.trim())),
    ).toEqual(['accuracy (gate)', '0.98', '+0.12', '0.86']);
    await section.locator('.evaluation-shown').scrollIntoViewIfNeeded();
    await screenshot(page, 'registry-04-evaluation');
  });

  it('shows the alias move from v1 to v2 in the history, linked to its gate evaluation', async () => {
    await page.goto(`${platform.url}/models/churn`);
    const timeline = page.getByRole('list', { name: 'History' });
    await timeline.waitFor();
    const titles = await timeline.locator('.timeline-title strong').allTextContents();
    // Newest first.
    expect(titles).toEqual([
      'champion moved from v1 to v2',
      'challenger set to v2',
      'champion set to v1',
      'Version 2 registered',
      'Version 1 registered',
      'Model created',
    ]);
    const move = timeline.locator('.timeline-item').first();
    expect(await move.getAttribute('data-kind')).toBe('promotion');
    expect(await move.textContent()).toContain('gate passed');
    expect(await move.textContent()).toContain('“beats the constant baseline”');
    expect(await timeline.locator('.timeline-item').nth(2).textContent()).toContain('“first release”');
    await timeline.scrollIntoViewIfNeeded();
    await screenshot(page, 'registry-05-history');

    await move.getByRole('link', { name: 'gate evaluation' }).click();
    expect(new URL(page.url()).pathname).toBe(`/evaluations/${promotionEvaluationId}`);
    await page.locator('.gate-verdict[data-passed="true"]').waitFor();
    await page.getByRole('link', { name: 'churn', exact: true }).waitFor();
    await screenshot(page, 'registry-06-evaluation-page');
  });

  it("explains an unknown model with the server's message", async () => {
    await page.goto(`${platform.url}/models/no-such-model`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('NOT_FOUND');
    expect(await alert.textContent()).toContain('no-such-model');
  });
});
