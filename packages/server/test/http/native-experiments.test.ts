import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment } from '@slipway/contracts';
import { nativeApi } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform.close();
});

const api = nativeApi(() => platform.app);

function errorOf(body: Record<string, unknown>): {
  code: string;
  message: string;
  details?: { field?: string };
} {
  return body['error'] as { code: string; message: string; details?: { field?: string } };
}

async function create(name: string, extra: Record<string, unknown> = {}): Promise<Experiment> {
  const res = await api('POST', '/experiments', { name, ...extra });
  expect(res.status).toBe(201);
  return res.body['experiment'] as Experiment;
}

describe('POST /experiments', () => {
  it('creates an experiment with tags and a served artifact location', async () => {
    const experiment = await create('create-ok', { tags: { team: 'vision' } });
    expect(experiment).toMatchObject({
      name: 'create-ok',
      lifecycleStage: 'active',
      tags: { team: 'vision' },
    });
    expect(experiment.artifactLocation).toBe(`mlflow-artifacts:/${experiment.experimentId}`);
    expect(experiment.creationTime).toBeGreaterThan(0);
  });

  it('answers 409 ALREADY_EXISTS for a taken name', async () => {
    await create('dup');
    const res = await api('POST', '/experiments', { name: 'dup' });
    expect(res.status).toBe(409);
    expect(errorOf(res.body).code).toBe('ALREADY_EXISTS');
  });

  it('answers 400 naming a missing field', async () => {
    const res = await api('POST', '/experiments', { tags: {} });
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: "Missing required field 'name'.",
      details: { field: 'name' },
    });
  });

  it('answers 400 naming an unknown field', async () => {
    const res = await api('POST', '/experiments', { name: 'x', artifact_location: 's3://b' });
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({
      message: "Unknown field 'artifact_location'.",
      details: { field: 'artifact_location' },
    });
  });

  it('answers 400 naming a tag whose value is not a string', async () => {
    const res = await api('POST', '/experiments', { name: 'x', tags: { team: { nested: true } } });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.field).toBe('tags.team');
    expect(errorOf(res.body).message).toContain('expected a string');
  });

  it('answers 400 for an empty name and a non-object body', async () => {
    const empty = await api('POST', '/experiments', { name: '' });
    expect(empty.status).toBe(400);
    expect(errorOf(empty.body)).toMatchObject({ details: { field: 'name' } });
    expect(errorOf(empty.body).message).toContain('must not be empty');
    const array = await api('POST', '/experiments', [1, 2]);
    expect(array.status).toBe(400);
    expect(errorOf(array.body).details?.field).toBe('body');
  });
});

describe('GET /experiments/:experimentId and /experiments/by-name/:name', () => {
  it('returns the experiment by id and by name (slashes encoded)', async () => {
    const created = await create('team/project one');
    const byId = await api('GET', `/experiments/${created.experimentId}`);
    expect(byId.status).toBe(200);
    expect(byId.body['experiment']).toEqual(created);
    const byName = await api('GET', `/experiments/by-name/${encodeURIComponent('team/project one')}`);
    expect(byName.status).toBe(200);
    expect(byName.body['experiment']).toEqual(created);
  });

  it('answers 404 with the native field name for an unknown id or name', async () => {
    const byId = await api('GET', '/experiments/987654');
    expect(byId.status).toBe(404);
    expect(errorOf(byId.body)).toMatchObject({ code: 'NOT_FOUND', details: { field: 'experimentId' } });
    const byName = await api('GET', '/experiments/by-name/nope');
    expect(byName.status).toBe(404);
    expect(errorOf(byName.body)).toMatchObject({ code: 'NOT_FOUND', details: { field: 'name' } });
  });

  it('answers 400 naming experimentId for a malformed id', async () => {
    const res = await api('GET', '/experiments/bad%20id');
    expect(res.status).toBe(400);
    expect(errorOf(res.body)).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'experimentId' } });
    expect(errorOf(res.body).message).toContain("'bad id'");
  });
});

describe('GET /experiments', () => {
  beforeAll(async () => {
    for (const name of ['list-b', 'list-a', 'list-c']) await create(name, { tags: { group: 'list' } });
  });

  it('filters and orders (orderBy as a comma list)', async () => {
    const res = await api(
      'GET',
      `/experiments?filter=${encodeURIComponent("tags.group = 'list'")}&orderBy=name%20DESC,experiment_id`,
    );
    expect(res.status).toBe(200);
    const names = (res.body['experiments'] as Experiment[]).map((e) => e.name);
    expect(names).toEqual(['list-c', 'list-b', 'list-a']);
    expect(res.body['nextPageToken']).toBeUndefined();
  });

  it('accepts repeated orderBy parameters', async () => {
    const filter = encodeURIComponent("name LIKE 'list-%'");
    const res = await api('GET', `/experiments?filter=${filter}&orderBy=name%20ASC&orderBy=creation_time`);
    expect((res.body['experiments'] as Experiment[]).map((e) => e.name)).toEqual([
      'list-a',
      'list-b',
      'list-c',
    ]);
  });

  it('pages with maxResults and pageToken', async () => {
    const filter = encodeURIComponent("name LIKE 'list-%'");
    const first = await api('GET', `/experiments?filter=${filter}&orderBy=name&maxResults=2`);
    expect((first.body['experiments'] as Experiment[]).map((e) => e.name)).toEqual(['list-a', 'list-b']);
    const token = first.body['nextPageToken'] as string;
    expect(token).toBeTypeOf('string');
    const second = await api(
      'GET',
      `/experiments?filter=${filter}&orderBy=name&maxResults=2&pageToken=${token}`,
    );
    expect((second.body['experiments'] as Experiment[]).map((e) => e.name)).toEqual(['list-c']);
  });

  it('answers 400 naming the query parameter', async () => {
    const view = await api('GET', '/experiments?viewType=EVERYTHING');
    expect(view.status).toBe(400);
    expect(errorOf(view.body).details?.field).toBe('viewType');
    expect(errorOf(view.body).message).toContain('"ACTIVE_ONLY", "DELETED_ONLY", "ALL"');
    const max = await api('GET', '/experiments?maxResults=0');
    expect(errorOf(max.body).details?.field).toBe('maxResults');
    const unknown = await api('GET', '/experiments?max_results=5');
    expect(errorOf(unknown.body)).toMatchObject({ message: "Unknown query parameter 'max_results'." });
    const token = await api('GET', '/experiments?pageToken=%%%');
    expect(token.status).toBe(400);
    expect(errorOf(token.body).details?.field).toBe('pageToken');
  });

  it('answers 400 naming filter or orderBy for grammar errors', async () => {
    const filter = await api('GET', `/experiments?filter=${encodeURIComponent('name ~ 1')}`);
    expect(filter.status).toBe(400);
    expect(errorOf(filter.body).details?.field).toBe('filter');
    const order = await api('GET', '/experiments?orderBy=metrics.acc');
    expect(order.status).toBe(400);
    expect(errorOf(order.body).details?.field).toBe('orderBy[0]');
  });
});

describe('PATCH, DELETE and restore /experiments/:experimentId', () => {
  it('renames, and answers 409 when the new name is taken', async () => {
    const experiment = await create('old-name');
    await create('taken-name');
    const renamed = await api('PATCH', `/experiments/${experiment.experimentId}`, { name: 'new-name' });
    expect(renamed.status).toBe(200);
    expect((renamed.body['experiment'] as Experiment).name).toBe('new-name');
    const clash = await api('PATCH', `/experiments/${experiment.experimentId}`, { name: 'taken-name' });
    expect(clash.status).toBe(409);
    const missing = await api('PATCH', `/experiments/${experiment.experimentId}`, {});
    expect(errorOf(missing.body).details?.field).toBe('name');
    const unknown = await api('PATCH', '/experiments/424242', { name: 'whatever' });
    expect(unknown.status).toBe(404);
  });

  it('soft-deletes (204) and restores', async () => {
    const experiment = await create('to-delete');
    const url = `/experiments/${experiment.experimentId}`;
    const deleted = await api('DELETE', url);
    expect(deleted.status).toBe(204);
    expect(((await api('GET', url)).body['experiment'] as Experiment).lifecycleStage).toBe('deleted');
    const deletedView = await api('GET', `/experiments?viewType=DELETED_ONLY`);
    expect((deletedView.body['experiments'] as Experiment[]).map((e) => e.name)).toContain('to-delete');
    const restored = await api('POST', `${url}/restore`);
    expect(restored.status).toBe(200);
    expect((restored.body['experiment'] as Experiment).lifecycleStage).toBe('active');
    expect((await api('DELETE', '/experiments/424242')).status).toBe(404);
    expect((await api('POST', '/experiments/424242/restore')).status).toBe(404);
  });
});

describe('experiment tags', () => {
  it('sets (204), reads back, and deletes a tag whose key has a slash', async () => {
    const experiment = await create('tagged');
    const url = `/experiments/${experiment.experimentId}/tags/${encodeURIComponent('owner/team')}`;
    expect((await api('PUT', url, { value: 'ml' })).status).toBe(204);
    const read = await api('GET', `/experiments/${experiment.experimentId}`);
    expect((read.body['experiment'] as Experiment).tags).toEqual({ 'owner/team': 'ml' });
    expect((await api('DELETE', url)).status).toBe(204);
    const after = await api('GET', `/experiments/${experiment.experimentId}`);
    expect((after.body['experiment'] as Experiment).tags).toEqual({});
  });

  it('answers 400 for a missing value, 404 for an unknown experiment or tag', async () => {
    const experiment = await create('tag-errors');
    const noValue = await api('PUT', `/experiments/${experiment.experimentId}/tags/k`, {});
    expect(noValue.status).toBe(400);
    expect(errorOf(noValue.body).details?.field).toBe('value');
    expect((await api('PUT', '/experiments/424242/tags/k', { value: 'v' })).status).toBe(404);
    expect((await api('DELETE', `/experiments/${experiment.experimentId}/tags/absent`)).status).toBe(404);
  });
});
