/**
 * Runs examples/typescript/loop.mjs, as a user would, against a real platform on a socket, and
 * checks its outcome through the API: the example must keep working as the APIs change.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SlipwayClient } from '@slipway/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/typescript/loop.mjs', import.meta.url));

describe('examples/typescript/loop.mjs', () => {
  let platform: TestPlatform;
  let stdout: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ listen: true });
    // The example imports the built SDK (`npm test` builds first), as a user's script would.
    ({ stdout } = await promisify(execFile)(process.execPath, [EXAMPLE], {
      env: { ...process.env, SLIPWAY_URL: platform.url },
    }));
  });
  afterAll(async () => platform?.close());

  it('promotes through the gate, logs labelled traffic and fires drift on the shifted column only', async () => {
    expect(stdout).toContain('gate passed');
    const client = new SlipwayClient({ url: platform.url });
    const [endpoint] = await client.endpoints.list();
    const name = endpoint!.name;
    expect((await client.models.getByAlias(name, 'champion')).version).toBe('1');

    const logged = await client.predictions.query(name, { labelled: true, limit: 1000 });
    expect(logged.predictions).toHaveLength(400);

    const alerts = await client.monitors.alerts({ monitor: name, state: 'firing' });
    const driftAlert = alerts.find((a) => a.severity === 'critical');
    const driftedInputs = driftAlert!.evidence.filter((s) => s.column !== undefined && s.column !== 'label');
    expect(driftedInputs.map((s) => s.column)).toEqual(['tenure_years']);
  });
});
