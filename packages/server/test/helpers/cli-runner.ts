/** Runs the `slipway` CLI in-process for tests, capturing what it prints. */
import { vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';

/** The exit code (undefined on success) and the captured stdout and stderr of one CLI run. */
export interface CliResult {
  code: number | undefined;
  out: string;
  err: string;
}

/**
 * Runs `slipway <args>` with `env` as its environment. Commander reports usage errors through
 * console.error and process.stderr, so both are captured into `err` for the run's duration.
 */
export async function runSlipway(args: string[], env: Record<string, string>): Promise<CliResult> {
  let out = '';
  let err = '';
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    err += `${parts.join(' ')}\n`;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const code = await runCli(['node', 'slipway', ...args], {
    startPlatform: () => Promise.reject(new Error('not used')),
    write: (text) => (out += text),
    env,
  });
  vi.restoreAllMocks();
  return { code, out, err };
}
