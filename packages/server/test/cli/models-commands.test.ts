import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SlipwayClient } from '@slipway/sdk';
import type {
  AliasAtTime,
  CompatibilityReport,
  ModelContract,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
} from '@slipway/contracts';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;
let workDir: string;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  workDir = await mkdtemp(join(tmpdir(), 'slipway-cli-models-'));
});
afterAll(async () => {
  await platform.close();
  await rm(workDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `slipway <args>` in-process against the test platform. */
function cli(
  args: string[],
  env: Record<string, string> = { SLIPWAY_URL: platform.url, SLIPWAY_USER: 'cli-user' },
): Promise<CliResult> {
  return runSlipway(args, env);
}

function json<T>(result: CliResult): T {
  expect(result.code, result.err).toBeUndefined();
  return JSON.parse(result.out) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const V1: ModelContract = {
  inputs: { kind: 'columns', fields: [{ name: 'amount', type: 'float64', nullable: false }] },
  outputs: {
    kind: 'columns',
    fields: [{ name: 'score', type: 'float64', nullable: false, meaning: 'fraud risk' }],
  },
  source: 'declared',
};
const V2: ModelContract = {
  ...V1,
  inputs: {
    kind: 'columns',
    fields: [...V1.inputs.fields, { name: 'channel', type: 'string', nullable: true }],
  },
};
const V3_BREAKING: ModelContract = {
  ...V2,
  inputs: {
    kind: 'columns',
    fields: [...V2.inputs.fields, { name: 'merchant', type: 'string', nullable: false }],
  },
};

/** A three-version model with contracts V1, V2 (compatible) and V3 (breaking). */
async function seedModel(name: string): Promise<void> {
  await client.models.create({ name, description: 'scores card payments' });
  for (const [i, contract] of [V1, V2, V3_BREAKING].entries()) {
    await client.models.createVersion(name, { source: `s3://bucket/${name}/${i + 1}`, contract });
  }
}

describe('slipway models register', () => {
  it('registers a source with lineage, tags and a description, creating the model', async () => {
    const { experimentId } = await client.experiments.create({ name: 'cli-models-runs' });
    const runId = (await client.runs.create({ experimentId })).info.runId;
    const res = await cli([
      'models',
      'register',
      'cli-src',
      '--source',
      's3://bucket/model',
      '--run-id',
      runId,
      '--description',
      'first cut',
      '--tag',
      'data=march',
    ]);
    expect(res.code, res.err).toBeUndefined();
    expect(res.out).toBe('Registered cli-src version 1 from s3://bucket/model.\nContract: none.\n');
    const version = await client.models.getVersion('cli-src', 1);
    expect(version).toMatchObject({
      runId,
      description: 'first cut',
      tags: { data: 'march' },
      userId: 'cli-user',
    });
    const again = json<{ modelVersion: ModelVersion }>(
      await cli(['models', 'register', 'cli-src', '--source', 's3://bucket/model2', '--json']),
    );
    expect(again.modelVersion).toMatchObject({ name: 'cli-src', version: '2', source: 's3://bucket/model2' });
  });

  it('uploads a package directory as a new run under model/ and registers runs:/<run>/model', async () => {
    const dir = join(workDir, 'pkg');
    await mkdir(join(dir, 'extra'), { recursive: true });
    await writeFile(
      join(dir, 'slipway.yaml'),
      'format_version: 1\nruntime: baseline\nentry_point: baseline.json\n' +
        'contract:\n  inputs:\n    fields: [{ name: amount, type: float64 }]\n' +
        '  outputs:\n    fields: [{ name: label, type: int64, categories: [0, 1] }]\n',
    );
    await writeFile(
      join(dir, 'baseline.json'),
      '{"kind":"constant","task":"classification","strategy":"majority","label":0,"probabilities":{"0":0.7,"1":0.3}}',
    );
    await writeFile(join(dir, 'extra', 'notes.txt'), 'trained on march data');
    await writeFile(join(dir, 'extra', 'empty.txt'), '');
    await client.experiments.create({ name: 'cli-packages' });

    const res = await cli([
      'models',
      'register',
      'cli-dir',
      '--from-dir',
      dir,
      '--experiment',
      'cli-packages',
    ]);
    expect(res.code, res.err).toBeUndefined();
    const version = await client.models.getVersion('cli-dir', 1);
    expect(version.source).toBe(`runs:/${version.runId}/model`);
    expect(version.package).toMatchObject({ runtime: 'baseline', manifest: 'slipway.yaml' });
    expect(version.package?.files.map((f) => f.path).sort()).toEqual([
      'baseline.json',
      'extra/empty.txt',
      'extra/notes.txt',
      'slipway.yaml',
    ]);
    expect(res.out).toContain(`Registered cli-dir version 1 from runs:/${version.runId}/model.\n`);
    expect(res.out).toMatch(/^Package: baseline, 4 files, sha256:[0-9a-f]{64}\.$/m);
    expect(res.out).toContain('Contract: 1 input (columns), 1 output, declared.\n');

    const run = await client.runs.get(version.runId);
    expect(run.info.status).toBe('FINISHED');
    expect((await client.experiments.get(run.info.experimentId)).name).toBe('cli-packages');
    const listed = await client.artifacts.list(version.runId, 'model/extra');
    expect(listed.map((a) => a.path)).toEqual(['model/extra/empty.txt', 'model/extra/notes.txt']);
    expect(
      new TextDecoder().decode(await client.artifacts.download(version.runId, 'model/extra/notes.txt')),
    ).toBe('trained on march data');
  });

  it('uses the Default experiment without --experiment, and --json prints the version', async () => {
    const dir = join(workDir, 'pkg-default');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'slipway.yaml'), 'format_version: 1\nruntime: baseline\nentry_point: b.json\n');
    await writeFile(
      join(dir, 'b.json'),
      '{"kind":"constant","task":"regression","strategy":"mean","prediction":0}',
    );
    const { modelVersion } = json<{ modelVersion: ModelVersion }>(
      await cli(['models', 'register', 'cli-dir-default', '--from-dir', dir, '--json']),
    );
    expect((await client.runs.get(modelVersion.runId)).info.experimentId).toBe('0');
  });

  it('reports a refused package with the field, and marks nothing as registered', async () => {
    const dir = join(workDir, 'pkg-bad');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'slipway.yaml'),
      'format_version: 1\nruntime: baseline\nentry_point: missing.json\n',
    );
    const res = await cli(['models', 'register', 'cli-bad', '--from-dir', dir]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error INVALID_ARGUMENT \(source\): /);
    expect((await client.models.searchVersions({ filter: "name = 'cli-bad'" })).modelVersions).toEqual([]);
  });

  it('fails clearly for missing, conflicting or unreadable inputs', async () => {
    const neither = await cli(['models', 'register', 'cli-x']);
    expect(neither.code).toBe(1);
    expect(neither.err).toContain("one of '--source <uri>' or '--from-dir <dir>' is required");
    const both = await cli(['models', 'register', 'cli-x', '--source', 's3://x', '--from-dir', workDir]);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/cannot be used with/);
    const runWithDir = await cli(['models', 'register', 'cli-x', '--from-dir', workDir, '--run-id', 'abc']);
    expect(runWithDir.code).toBe(1);
    const missingDir = await cli(['models', 'register', 'cli-x', '--from-dir', join(workDir, 'nope')]);
    expect(missingDir.code).toBe(1);
    expect(missingDir.err).toMatch(/^error INVALID_ARGUMENT \(from-dir\): Cannot read directory/);
    const emptyDir = join(workDir, 'empty');
    await mkdir(emptyDir, { recursive: true });
    const empty = await cli(['models', 'register', 'cli-x', '--from-dir', emptyDir]);
    expect(empty.err).toMatch(/contains no files/);
    const badName = await cli(['models', 'register', 'a/b', '--source', 's3://x']);
    expect(badName.err).toMatch(/^error INVALID_ARGUMENT \(name\): /);
    const unknownExperiment = await cli([
      'models',
      'register',
      'cli-x',
      '--from-dir',
      workDir,
      '--experiment',
      'nope-exp',
    ]);
    expect(unknownExperiment.err).toBe(
      "error NOT_FOUND (experiment): No experiment with id or name 'nope-exp'.\n",
    );
  });
});

describe('slipway models list and show', () => {
  beforeAll(async () => {
    await seedModel('cli-show');
    await client.models.setAlias('cli-show', 'champion', 2);
    await client.models.setTag('cli-show', 'team', 'risk');
    await client.models.create({ name: 'cli-show-empty' });
  });

  it('list prints an aligned table of models with their latest version and aliases', async () => {
    const res = await cli(['models', 'list', '--filter', "name LIKE 'cli-show%'"]);
    expect(res.code, res.err).toBeUndefined();
    const [header, ...rows] = res.out.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+LATEST\s+ALIASES\s+UPDATED \(UTC\)\s+DESCRIPTION$/);
    expect(rows.map((r) => r.split(/\s{2,}/))).toEqual([
      [
        'cli-show',
        '3',
        'champion=2',
        expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        'scores card payments',
      ],
      ['cli-show-empty', '-', '-', expect.stringMatching(/^\d{4}-/)],
    ]);
  });

  it('list --json prints the page, and points at the next page for people', async () => {
    const page = json<{ registeredModels: RegisteredModel[]; nextPageToken?: string }>(
      await cli(['models', 'list', '--filter', "name LIKE 'cli-show%'", '--max-results', '1', '--json']),
    );
    expect(page.registeredModels.map((x) => x.name)).toEqual(['cli-show']);
    expect(page.nextPageToken).toBeTypeOf('string');
    const human = await cli(['models', 'list', '--filter', "name LIKE 'cli-show%'", '--max-results', '1']);
    expect(human.out).toMatch(/\nMore results: --page-token \S+\n$/);
    const none = await cli(['models', 'list', '--filter', "name = 'nothing-here'"]);
    expect(none.out).toBe('No registered models found.\n');
  });

  it('show NAME prints fields, tags, aliases and versions newest first', async () => {
    const res = await cli(['models', 'show', 'cli-show']);
    expect(res.code, res.err).toBeUndefined();
    expect(res.out).toMatch(/^Model cli-show\nDescription:\s+scores card payments\n/);
    expect(res.out).toMatch(/^Latest:\s+3$/m);
    expect(res.out).toMatch(/^Tags\nKEY\s+VALUE\nteam\s+risk$/m);
    expect(res.out).toMatch(/^Aliases\nALIAS\s+VERSION\nchampion\s+2$/m);
    const versions = res.out
      .slice(res.out.indexOf('\nVersions\n') + 10)
      .trimEnd()
      .split('\n');
    expect(versions[0]).toMatch(/^VERSION\s+ALIASES\s+CREATED \(UTC\)\s+CONTRACT\s+SOURCE$/);
    expect(versions.slice(1).map((r) => r.split(/\s{2,}/)[0])).toEqual(['3', '2', '1']);
    expect(versions[2]).toMatch(
      /^2\s+champion\s+.*2 inputs \(columns\), 1 output, declared\s+s3:\/\/bucket\/cli-show\/2$/,
    );
  });

  it('show NAME/VERSION and NAME@ALIAS print one version with its contract', async () => {
    const byVersion = await cli(['models', 'show', 'cli-show/1']);
    expect(byVersion.code, byVersion.err).toBeUndefined();
    expect(byVersion.out).toMatch(/^Model cli-show version 1\n/);
    expect(byVersion.out).toMatch(/^Source:\s+s3:\/\/bucket\/cli-show\/1$/m);
    expect(byVersion.out).toMatch(
      /^Inputs\nNAME\s+TYPE\s+SHAPE\s+NULLABLE\s+CONSTRAINTS\namount\s+float64\s+-\s+no\s+-$/m,
    );
    expect(byVersion.out).toMatch(/^score\s+float64\s+-\s+no\s+meaning: fraud risk$/m);
    const byAlias = await cli(['models', 'show', 'cli-show@champion']);
    expect(byAlias.out).toMatch(/^Model cli-show version 2\nAliases:\s+champion$/m);
    const latest = json<{ modelVersion: ModelVersion }>(
      await cli(['models', 'show', 'cli-show/latest', '--json']),
    );
    expect(latest.modelVersion.version).toBe('3');
  });

  it('show --json prints the model and its versions', async () => {
    const shown = json<{ registeredModel: RegisteredModel; modelVersions: ModelVersion[] }>(
      await cli(['models', 'show', 'cli-show', '--json']),
    );
    expect(shown.registeredModel.name).toBe('cli-show');
    expect(shown.modelVersions.map((v) => v.version)).toEqual(['3', '2', '1']);
  });

  it('show fails with NOT_FOUND for an unknown model, version or alias', async () => {
    expect((await cli(['models', 'show', 'cli-nope'])).err).toMatch(/^error NOT_FOUND \(name\): /);
    expect((await cli(['models', 'show', 'cli-show/9'])).err).toMatch(/^error NOT_FOUND \(version\): /);
    expect((await cli(['models', 'show', 'cli-show@gone'])).err).toMatch(/^error NOT_FOUND \(alias\): /);
  });
});

describe('slipway models alias', () => {
  beforeAll(async () => {
    await seedModel('cli-alias');
  });

  it('sets, moves (with the contract check), refuses a breaking move, and forces it', async () => {
    const set = await cli(['models', 'alias', 'cli-alias', 'champion', '1', '--reason', 'launch']);
    expect(set.code, set.err).toBeUndefined();
    expect(set.out).toBe('Set cli-alias@champion to version 1.\n');
    const moved = await cli(['models', 'alias', 'cli-alias', 'champion', '2']);
    expect(moved.out).toBe(
      'Moved cli-alias@champion from version 1 to 2.\nContract check (backward): compatible, 1 change.\n',
    );
    const refused = await cli(['models', 'alias', 'cli-alias', 'champion', '3']);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(
      /^error FAILED_PRECONDITION \(version\): Refusing to move cli-alias@champion/,
    );
    expect(refused.err).toContain('inputs.merchant');
    const forced = await cli([
      'models',
      'alias',
      'cli-alias',
      'champion',
      '3',
      '--force',
      '--reason',
      'hotfix',
    ]);
    expect(forced.out).toBe(
      'Moved cli-alias@champion from version 2 to 3.\n' +
        'Contract check (backward): FORCED past 1 breaking change: inputs.merchant field-added.\n',
    );
    const event = (await client.models.history('cli-alias', { alias: 'champion' })).at(-1);
    expect(event).toMatchObject({ forced: true, reason: 'hotfix', actor: 'cli-user' });
  });

  it('--json prints the event and the check; --delete removes the alias', async () => {
    const move = json<{ event: RegistryEvent; compatibility?: CompatibilityReport }>(
      await cli(['models', 'alias', 'cli-alias', 'staging', '1', '--json']),
    );
    expect(move.event).toMatchObject({ type: 'alias.set', alias: 'staging', toVersion: '1' });
    const removed = await cli(['models', 'alias', 'cli-alias', 'staging', '--delete', '--reason', 'unused']);
    expect(removed.out).toBe('Removed cli-alias@staging (was version 1).\n');
    const again = await cli(['models', 'alias', 'cli-alias', 'staging', '--delete']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error NOT_FOUND \(alias\): /);
    await cli(['models', 'alias', 'cli-alias', 'staging', '2']);
    const deletedJson = json<{ event: RegistryEvent }>(
      await cli(['models', 'alias', 'cli-alias', 'staging', '--delete', '--json']),
    );
    expect(deletedJson.event).toMatchObject({ type: 'alias.deleted', fromVersion: '2' });
  });

  it('rejects a version with --delete, a missing version, and --force with --delete', async () => {
    const withVersion = await cli(['models', 'alias', 'cli-alias', 'x', '1', '--delete']);
    expect(withVersion.code).toBe(1);
    expect(withVersion.err).toContain('--delete takes no version');
    const missing = await cli(['models', 'alias', 'cli-alias', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("missing required argument 'version'");
    const both = await cli(['models', 'alias', 'cli-alias', 'x', '--delete', '--force']);
    expect(both.code).toBe(1);
    const reserved = await cli(['models', 'alias', 'cli-alias', 'latest', '1']);
    expect(reserved.err).toMatch(/^error INVALID_ARGUMENT \(alias\): /);
  });
});

describe('slipway models history', () => {
  let firstMove = 0;

  beforeAll(async () => {
    await seedModel('cli-history');
    await sleep(5);
    const ana = new SlipwayClient({ url: platform.url, user: 'ana' });
    firstMove = (await ana.models.setAlias('cli-history', 'champion', 1, { reason: 'launch' })).event.time;
    await sleep(5);
    await client.models.setAlias('cli-history', 'champion', 2);
    await client.models.setAlias('cli-history', 'challenger', 3, { force: true });
  });

  it('prints every event oldest first', async () => {
    const res = await cli(['models', 'history', 'cli-history']);
    expect(res.code, res.err).toBeUndefined();
    const [header, ...rows] = res.out.trimEnd().split('\n');
    expect(header).toMatch(/^SEQ\s+TIME \(UTC\)\s+EVENT\s+ACTOR\s+CHANGE\s+REASON$/);
    expect(rows.map((r) => r.split(/\s{2,}/).slice(2))).toEqual([
      ['registered_model.created', 'anonymous', '-'],
      ['model_version.created', 'anonymous', 'version 1'],
      ['model_version.created', 'anonymous', 'version 2'],
      ['model_version.created', 'anonymous', 'version 3'],
      ['alias.set', 'ana', 'champion: - -> 1', 'launch'],
      ['alias.set', 'anonymous', 'champion: 1 -> 2'],
      ['alias.set', 'anonymous', 'challenger: - -> 3'],
    ]);
  });

  it('--alias filters, --limit and --after-seq page, --json prints events', async () => {
    const { events } = json<{ events: RegistryEvent[] }>(
      await cli(['models', 'history', 'cli-history', '--alias', 'champion', '--json']),
    );
    expect(events.map((e) => e.toVersion)).toEqual(['1', '2']);
    const page = json<{ events: RegistryEvent[] }>(
      await cli(['models', 'history', 'cli-history', '--limit', '2', '--json']),
    );
    expect(page.events).toHaveLength(2);
    const rest = json<{ events: RegistryEvent[] }>(
      await cli(['models', 'history', 'cli-history', '--after-seq', String(page.events[1]?.seq), '--json']),
    );
    expect(rest.events).toHaveLength(5);
  });

  it('--at prints what each alias pointed at then (ISO 8601 or ms)', async () => {
    const iso = new Date(firstMove).toISOString();
    const res = await cli(['models', 'history', 'cli-history', '--at', iso]);
    expect(res.code, res.err).toBeUndefined();
    expect(res.out.split('\n')[0]).toBe(`Aliases of cli-history at ${iso}:`);
    expect(res.out).toMatch(
      /^ALIAS\s+VERSION\s+SINCE \(UTC\)\s+BY\s+REASON\nchampion\s+1\s+\S+ \S+\s+ana\s+launch\n$/m,
    );
    const now = json<{ at: string; aliases: AliasAtTime[] }>(
      await cli(['models', 'history', 'cli-history', '--at', String(Date.now()), '--json']),
    );
    expect(now.aliases.map((a) => [a.alias, a.version])).toEqual([
      ['challenger', '3'],
      ['champion', '2'],
    ]);
    const before = await cli([
      'models',
      'history',
      'cli-history',
      '--at',
      '2001-01-01',
      '--alias',
      'champion',
    ]);
    expect(before.out).toMatch(/^champion\s+\(not set\)\s+-\s+-$/m);
    const nothing = await cli(['models', 'history', 'cli-history', '--at', '2001-01-01']);
    expect(nothing.out).toContain('No aliases were set.\n');
  });

  it('fails clearly for a bad time or an unknown model', async () => {
    const bad = await cli(['models', 'history', 'cli-history', '--at', 'last tuesday']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error INVALID_ARGUMENT \(at\): Invalid time 'last tuesday'/);
    expect((await cli(['models', 'history', 'cli-never'])).err).toMatch(/^error NOT_FOUND \(name\): /);
  });
});

describe('slipway models diff-contract', () => {
  beforeAll(async () => {
    await seedModel('cli-diff');
    await client.models.createVersion('cli-diff', { source: 's3://bucket/no-contract' });
  });

  it('prints a compatible verdict with the changes and exits 0', async () => {
    const res = await cli(['models', 'diff-contract', 'cli-diff', '1', '2']);
    expect(res.code, res.err).toBeUndefined();
    const [verdict, header, ...rows] = res.out.trimEnd().split('\n');
    expect(verdict).toBe('Contract of cli-diff version 2 against version 1 (backward): compatible');
    expect(header).toMatch(/^SIDE\s+FIELD\s+CHANGE\s+BREAKING\s+DETAIL$/);
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 4))).toEqual([
      ['inputs', 'channel', 'field-added', 'no'],
    ]);
    const same = await cli(['models', 'diff-contract', 'cli-diff', '2', '2']);
    expect(same.out).toBe(
      'Contract of cli-diff version 2 against version 2 (backward): compatible\nNo changes.\n',
    );
  });

  it('exits 1 on a breaking change, in table and JSON output alike (a CI gate)', async () => {
    const res = await cli(['models', 'diff-contract', 'cli-diff', '2', '3']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^Contract of cli-diff version 3 against version 2 \(backward\): BREAKING\n/);
    expect(res.out).toMatch(/^inputs\s+merchant\s+field-added\s+yes\s+/m);
    const asJson = await cli(['models', 'diff-contract', 'cli-diff', '2', '3', '--json']);
    expect(asJson.code).toBe(1);
    expect((JSON.parse(asJson.out) as { compatibility: CompatibilityReport }).compatibility.compatible).toBe(
      false,
    );
  });

  it('honours --mode, and rejects an unknown mode or a version without a contract', async () => {
    const forward = await cli([
      'models',
      'diff-contract',
      'cli-diff',
      '1',
      '2',
      '--mode',
      'forward',
      '--json',
    ]);
    expect(forward.code).toBeUndefined();
    expect(JSON.parse(forward.out)).toMatchObject({ compatibility: { mode: 'forward' } });
    const full = await cli(['models', 'diff-contract', 'cli-diff', '1', '3', '--mode', 'full']);
    expect(full.code).toBe(1);
    const bad = await cli(['models', 'diff-contract', 'cli-diff', '1', '2', '--mode', 'sideways']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('backward, forward, full');
    const none = await cli(['models', 'diff-contract', 'cli-diff', '1', '4']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^error FAILED_PRECONDITION \(version\): .*has no contract/);
  });
});

describe('--user', () => {
  it('names the actor in the history, over SLIPWAY_USER', async () => {
    await cli(['models', 'register', 'cli-user-model', '--source', 's3://u', '--user', 'release-bot']);
    await cli(['models', 'alias', 'cli-user-model', 'prod', '1']);
    const events = await client.models.history('cli-user-model');
    expect(events.map((e) => e.actor)).toEqual(['release-bot', 'release-bot', 'cli-user']);
  });
});
